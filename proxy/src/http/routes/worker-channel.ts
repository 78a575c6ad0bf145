// The worker channel (shared/src/contract/worker-channel.ts): WebSocket /v1/worker, authenticated with the
// rig token. A rig says hello (models, slots, public keys, device), heartbeats, and streams sealed chunks and
// results for the jobs it is given. This route bounds upgrades per address and hands each socket to
// http/worker-channel/serve.ts, whose messages are handled one handler each (worker-channel/messages.ts).
import { WORKER_CHANNEL_PATH } from '@cocoon/shared';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { WebSocket } from 'ws';
import { HttpError } from '../../errors';
import type { ModelCatalogue } from '../../rigs/catalogue';
import { clientAddressKey } from '../address-key';
import type { AppContext } from '../context';
import { WindowCounter } from '../window-counter';
import { serveWorker } from '../worker-channel/serve';
import type { UpgradeOutcome } from '../worker-channel/session';

export const MAX_WORKER_FRAME_BYTES = 4 * 1024 * 1024;

export function workerChannelRoutes(app: FastifyInstance, ctx: AppContext, catalogue: ModelCatalogue): void {
  const deps = { ...ctx, catalogue };
  // Refused upgrades per IP address (request.ip: the client's own behind TRUST_PROXY). Each upgrade counts on
  // arrival, before the token is looked up and before the upgrade, so random tokens (or many at once) are no
  // way around it; one whose token is accepted is taken back, so rigs that reconnect use none of it. Over the
  // bound every upgrade from that address is refused, a valid token's too: a shared address shares it.
  const upgrades = new WindowCounter(ctx.config.RATE_WORKER_UPGRADES_PER_IP_PER_MIN);
  /** The window each admitted upgrade was counted in: a refund goes back to that window only. */
  const countedIn = new WeakMap<object, number>();
  const outcome = (req: FastifyRequest): UpgradeOutcome => {
    const since = countedIn.get(req.raw) ?? -1;
    const address = clientAddressKey(req.ip);
    return { accepted: () => upgrades.refund(address, since), refused: () => upgrades.hit(address) };
  };
  const onRequest = async (req: FastifyRequest, reply: FastifyReply) => {
    const now = Date.now();
    const address = clientAddressKey(req.ip);
    if (upgrades.hit(address, now)) {
      countedIn.set(req.raw, upgrades.windowOf(address, now));
      return;
    }
    const retryS = upgrades.retryAfterS(address);
    reply.header('retry-after', String(retryS));
    throw new HttpError(
      429,
      'rate_limited',
      `too many worker connections from this address (${ctx.config.RATE_WORKER_UPGRADES_PER_IP_PER_MIN} a minute); retry in ${retryS} s`,
    );
  };
  app.get(WORKER_CHANNEL_PATH, { websocket: true, onRequest }, (socket: WebSocket, req) => {
    const auth = req.headers.authorization ?? '';
    const token = auth.startsWith('Bearer ') ? auth.slice(7).trim() : '';
    void serveWorker(socket, token, deps, outcome(req)).catch((err) => {
      ctx.log.error({ err }, 'worker channel error');
      socket.close(1011, 'internal error');
    });
  });
}
