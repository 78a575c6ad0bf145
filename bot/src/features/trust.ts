// /trust [tdx|open]: the chat's trust tier for /summarize and /generate. `tdx`: jobs are sealed only to rigs
// whose Intel TDX quote the bot verified itself against the operator's signed policy; `open`: any rig. Anyone
// may see the setting; in groups only admins may change it. tdx needs the operator's ATTESTATION_POLICY_KEY.
import { trustTier } from '@cocoon/shared';
import { Composer, type Context } from 'grammy';
import { isChatAdmin } from '../admin';
import type { Features } from '../deps';
import { replyTo } from '../job';

export const TRUST_USAGE =
  'Usage: /trust tdx — confidential (TDX) rigs only; /trust open — any rig; /trust — the current setting.';

export const TRUST_TEXT = {
  open:
    "This chat's jobs run in the open tier: any rig may run them. The rig owner's machine opens the text " +
    '(the proxy never sees it); honesty is checked by audits and bonds.',
  tdx:
    "This chat's jobs run on confidential (TDX) rigs only: before sealing a job I check each rig's Intel TDX " +
    "quote myself against the operator's signed policy, so only the measured software inside a TDX guest can " +
    'open the text, not the rig owner. With no such rig free, jobs are refused rather than sent elsewhere.',
  noKey:
    "I can't switch to confidential (TDX) rigs: the bot's operator must configure the network's attestation " +
    'policy key (ATTESTATION_POLICY_KEY) first, so I can check TDX rigs myself. This chat stays in the open tier.',
  refused: "Only the group's admins can change this chat's trust setting.",
};

export function trustFeature(f: Features): Composer<Context> {
  const { config, deps } = f;
  const c = new Composer<Context>();
  c.command('trust', async (ctx) => {
    const chat = ctx.chat;
    const reply = (text: string) => ctx.reply(text, { reply_parameters: replyTo(ctx) });
    const word = ctx.match.trim().toLowerCase();
    if (!word) {
      const tier = await deps.trust.get(chat.id);
      const change =
        tier === 'tdx'
          ? 'An admin can send /trust open to use any rig.'
          : config.ATTESTATION_POLICY_KEY
            ? 'An admin can send /trust tdx to use confidential (TDX) rigs only.'
            : "Confidential (TDX) rigs can't be chosen: the bot's operator has not configured the attestation policy key.";
      await reply(`${TRUST_TEXT[tier]}\n\n${change}`);
      return;
    }
    const wanted = trustTier.safeParse(word);
    if (!wanted.success) {
      await reply(TRUST_USAGE);
      return;
    }
    if (!(await isChatAdmin(ctx))) {
      await reply(TRUST_TEXT.refused);
      return;
    }
    if (wanted.data === 'tdx' && !config.ATTESTATION_POLICY_KEY) {
      await reply(TRUST_TEXT.noKey);
      return;
    }
    await deps.trust.set(chat.id, wanted.data);
    deps.log.info({ chatId: chat.id, tier: wanted.data }, 'chat trust tier set');
    await reply(
      wanted.data === 'tdx'
        ? `Done. ${TRUST_TEXT.tdx} Each answer's cost line says "confidential (TDX) rig".`
        : `Done. ${TRUST_TEXT.open}`,
    );
  });
  return c;
}
