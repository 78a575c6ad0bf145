// The upkeep loop: lease, quote and job timeouts, audits, Stars charges, and (with on-chain accounts) the chain's events
// and the ledger's commitment. One sweep at a time; a failed sweep is logged and the next one runs.
import type { Logger } from '@cocoon/shared/node';
import type { FastifyPluginAsync } from 'fastify';
import type { AuditService } from './audits/service';
import type { Config } from './config';
import { appWide } from './http/plugins/app-wide';
import type { JobService } from './jobs/service';
import type { OnchainAccountsService } from './onchain-accounts/service';
import type { StarsService } from './stars/service';

export interface UpkeepDeps {
  config: Config;
  log: Logger;
  jobs: JobService;
  audits: AuditService;
  onchain: OnchainAccountsService | null;
  stars: StarsService;
}

/** Sweeps every `everyMs` from start() until stop(). */
export class Upkeep {
  private timer: ReturnType<typeof setInterval> | undefined;
  private sweeping = false;
  private lastChainSweep = 0;
  private lastCommit = Date.now();

  constructor(private readonly deps: UpkeepDeps) {}

  start(everyMs: number): void {
    this.timer ??= setInterval(() => void this.sweep(), everyMs);
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private async sweep(): Promise<void> {
    if (this.sweeping) return;
    this.sweeping = true;
    const { jobs, audits, stars, onchain, config, log } = this.deps;
    try {
      await jobs.sweep();
      await audits.sweep();
      await stars.sweep();
      // The chain is read at most every 15 s: claims are batched anyway, and an exit's delay is hours.
      if (onchain && Date.now() - this.lastChainSweep > 15_000) {
        this.lastChainSweep = Date.now();
        await onchain.sweep();
        if (Date.now() - this.lastCommit > config.ONCHAIN_COMMIT_MS) {
          this.lastCommit = Date.now();
          await onchain.commitLedger();
        }
      }
    } catch (err) {
      log.error({ err }, 'sweep failed');
    } finally {
      this.sweeping = false;
    }
  }
}

/** Runs the upkeep loop for the app's lifetime (the owner may stop it earlier, before closing the app). */
export const upkeepPlugin: FastifyPluginAsync<{ upkeep: Upkeep; everyMs: number }> = appWide(
  async (app, { upkeep, everyMs }) => {
    upkeep.start(everyMs);
    app.addHook('onClose', async () => upkeep.stop());
  },
);
