// Who is calling: a Mini App user (Telegram initData), the bot acting for a user (service key), or a
// developer app (API key). Each path ends with a user row; new users get the trial credit.
import { validateInitData } from '@cocoon/shared';
import type { Config } from '../config';
import type { Db } from '../db';
import { unauthorized } from '../errors';
import { ensureUser } from '../users';
import type { UserRow } from '../users-repository';
import { userByApiKeyHash } from './repository';
import { hashSecret, secretMatches } from './tokens';

export interface Caller {
  /** The caller's Telegram id; the user row exists. Routes that need more read it (findUser). */
  user: Pick<UserRow, 'id'>;
  via: 'tma' | 'service' | 'apiKey';
  apiKeyId: string | null;
}

function safeDecodeURIComponent(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/**
 * Users this process has already created or renamed, with the name it last saw: a request from a known
 * user with the same name needs no database round trip (users are never deleted). Bounded: forgets all
 * when full.
 */
export class KnownUsers {
  private readonly names = new Map<string, string>();

  /** Makes sure the user row exists with this name (empty: keep the stored one). */
  async ensure(db: Db, id: string, name: string, trialCreditNano: bigint): Promise<Pick<UserRow, 'id'>> {
    const seen = this.names.get(id);
    if (seen !== undefined && (seen === name || name === '')) return { id };
    const row = await ensureUser(db, id, name, trialCreditNano);
    if (this.names.size >= 50_000) this.names.clear();
    this.names.set(id, row.name);
    return { id };
  }
}

export async function authenticate(
  db: Db,
  config: Config,
  headers: Record<string, string | string[] | undefined>,
  known = new KnownUsers(),
): Promise<Caller> {
  const header = headers.authorization;
  if (typeof header !== 'string' || !header.includes(' ')) {
    throw unauthorized('send Authorization: "tma <initData>", "Bearer <api key>" or "Service <key>"');
  }
  const [scheme, ...rest] = header.split(' ');
  const credential = rest.join(' ').trim();
  switch (scheme.toLowerCase()) {
    case 'tma': {
      const res = validateInitData(credential, config.BOT_TOKEN, config.INIT_DATA_MAX_AGE_S);
      if (!res.ok) {
        const why = {
          malformed: 'initData is malformed',
          bad_signature: 'initData signature is invalid',
          expired: `initData is older than ${config.INIT_DATA_MAX_AGE_S} s; reopen the Mini App`,
          from_the_future: 'initData is dated in the future; check the clock and reopen the Mini App',
          no_user: 'initData has no user',
        }[res.reason];
        throw unauthorized(why);
      }
      const name = [res.user.first_name, res.user.last_name].filter(Boolean).join(' ');
      return {
        user: await known.ensure(db, String(res.user.id), name, config.TRIAL_CREDIT_NANO),
        via: 'tma',
        apiKeyId: null,
      };
    }
    case 'service': {
      if (!secretMatches(credential, config.SERVICE_KEY)) throw unauthorized('service key is invalid');
      const id = headers['x-cocoon-user'];
      if (typeof id !== 'string' || !/^\d{1,20}$/.test(id)) {
        throw unauthorized('the service key needs X-Cocoon-User: <Telegram user id>');
      }
      const rawName = headers['x-cocoon-user-name'];
      // A malformed percent-encoding is a bad header, not a server error: keep the raw text.
      const name = typeof rawName === 'string' ? safeDecodeURIComponent(rawName).slice(0, 128) : '';
      return {
        user: await known.ensure(db, id, name, config.TRIAL_CREDIT_NANO),
        via: 'service',
        apiKeyId: null,
      };
    }
    case 'bearer': {
      const row = await userByApiKeyHash(db, hashSecret(credential));
      if (!row) throw unauthorized('API key is unknown or revoked');
      return { user: { id: row.id }, via: 'apiKey', apiKeyId: row.key_id };
    }
    default:
      throw unauthorized(`unknown authorization scheme "${scheme}"`);
  }
}
