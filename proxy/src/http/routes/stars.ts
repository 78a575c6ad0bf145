// Telegram Stars (proxy/src/stars/): the public offer; a user's invoices, purchases and refunds; the bot's
// reports (pre-checkout, payment, reversal: service key only, each payment confirmed with Telegram by the
// proxy itself); the operator's refunds (ADMIN_KEY).
import { CONTRACT } from '@cocoon/shared';
import type { FastifyInstance } from 'fastify';
import type { StarsService } from '../../stars/service';
import { adminGroup, requireService, requireUser, routeGroup } from '../auth-hooks';
import type { AppContext } from '../context';
import { serve } from '../contract-route';

export function starsRoutes(app: FastifyInstance, ctx: AppContext, stars: StarsService): void {
  serve(app, CONTRACT.starsOffer, async () => stars.offer());

  // The Mini App, an API key, or the bot acting for the user who sent /buy or /refund.
  routeGroup(app, ctx, requireUser, (app) => {
    serve(app, CONTRACT.createStarsInvoice, async ({ body }, req, reply) => {
      const invoice = await stars.createInvoice(req.caller.user.id, body.stars, body.link ?? false);
      reply.code(201);
      return invoice;
    });
    serve(app, CONTRACT.starsPurchases, async (_, req) => ({
      purchases: await stars.purchases(req.caller.user.id),
    }));
    serve(app, CONTRACT.refundStarsPurchase, async ({ params }, req) =>
      stars.refund(req.caller.user.id, params.id),
    );
  });

  // The bot's reports of Telegram's updates: for any user, so never trusted on their own word.
  routeGroup(app, ctx, requireService, (app) => {
    serve(app, CONTRACT.starsPreCheckout, async ({ body }) => stars.preCheckout(body));
    serve(app, CONTRACT.starsPayment, async ({ body }) => stars.payment(body));
    serve(app, CONTRACT.starsReversal, async ({ body }) => stars.reversal(body));
  });

  adminGroup(app, ctx, (app) => {
    serve(app, CONTRACT.adminRefundStars, async ({ body }) =>
      stars.adminRefund(body.telegramPaymentChargeId),
    );
  });
}
