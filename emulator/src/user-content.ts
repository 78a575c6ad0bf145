// What a user's message holds, built from the test-side UserContent: text with detected entities, a photo
// in two sizes, a sticker, or a forward.
import { randomBytes } from 'node:crypto';
import { detectEntities as detect } from './entities';
import type { TgMessage, TgUser } from './model';

export type UserContent =
  | { text: string; entities?: TgMessage['entities'] }
  | { photo: true | { width?: number; height?: number }; caption?: string }
  | { sticker: true | { emoji?: string } }
  | { forwardFrom: number | { senderName: string }; text: string };

const now = () => Math.floor(Date.now() / 1000);
const fileId = (kind: string) => `${kind}_${randomBytes(12).toString('base64url')}`;

export function userContentFields(
  content: UserContent,
  requireUser: (id: number) => TgUser,
): Partial<TgMessage> {
  const fields: Partial<TgMessage> = {};
  if ('forwardFrom' in content) {
    const origin = content.forwardFrom;
    fields.forward_origin =
      typeof origin === 'number'
        ? { type: 'user', date: now() - 60, sender_user: requireUser(origin) }
        : { type: 'hidden_user', date: now() - 60, sender_user_name: origin.senderName };
    fields.forward_date = now() - 60;
  }
  if ('text' in content) {
    if (content.text.length === 0 || content.text.length > 4096)
      throw new Error('text must be 1..4096 characters');
    fields.text = content.text;
    const entities =
      'entities' in content && content.entities
        ? content.entities
        : 'forwardFrom' in content
          ? []
          : detect(content.text);
    if (entities && entities.length > 0) fields.entities = entities;
  } else if ('photo' in content) {
    const size = content.photo === true ? {} : content.photo;
    const width = size.width ?? 1280;
    const height = size.height ?? 960;
    const unique = fileId('AQAD');
    fields.photo = [
      {
        file_id: fileId('AgAC'),
        file_unique_id: `${unique}-s`,
        width: 90,
        height: Math.round((90 * height) / width),
        file_size: 1_200,
      },
      { file_id: fileId('AgAC'), file_unique_id: unique, width, height, file_size: 120_000 },
    ];
    if (content.caption) {
      fields.caption = content.caption;
      const entities = detect(content.caption);
      if (entities && entities.length > 0) fields.caption_entities = entities;
    }
  } else if ('sticker' in content) {
    const emoji = content.sticker === true ? '👍' : (content.sticker.emoji ?? '👍');
    fields.sticker = {
      file_id: fileId('CAAC'),
      file_unique_id: fileId('AgAD'),
      type: 'regular',
      width: 512,
      height: 512,
      is_animated: false,
      is_video: false,
      emoji,
      file_size: 20_000,
    };
  }
  return fields;
}
