// The worker sockets held by this proxy process, by rig id. It sits below the jobs: dispatch and audits send
// to rigs through it, and the worker channel (http/routes/worker-channel.ts) adds and removes them.
import type { ProxyToWorker } from '@cocoon/shared';

export interface WorkerConnection {
  rigId: string;
  send(msg: ProxyToWorker): void;
  close(code: number, reason: string): void;
  /**
   * Sends a TDX rig a fresh challenge for new evidence: 'sent', 'no_tee' for a rig that runs without one, or
   * 'too_soon' when its owner asked again within a few seconds (each challenge costs the proxy a quote check).
   */
  requestEvidence(byOwner?: boolean): 'sent' | 'no_tee' | 'too_soon';
}

export class WorkerRegistry {
  private readonly byRig = new Map<string, WorkerConnection>();
  private readonly cleanups = new Set<Promise<void>>();

  /** Keeps a socket's clean-up (offline mark, failover of its jobs) until it settles. */
  track(cleanup: Promise<void>): void {
    this.cleanups.add(cleanup);
    void cleanup.finally(() => this.cleanups.delete(cleanup));
  }

  /** Resolves when every tracked clean-up has run, or after `maxMs` (shutdown must not hang on one). */
  async settled(maxMs = 3000): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const limit = new Promise<void>((res) => {
      timer = setTimeout(res, maxMs);
    });
    await Promise.race([Promise.all([...this.cleanups]), limit]);
    clearTimeout(timer);
  }

  get(rigId: string): WorkerConnection | undefined {
    return this.byRig.get(rigId);
  }

  /** Registers a socket; an older socket of the same rig is closed (a restarted worker replaces itself). */
  add(conn: WorkerConnection): void {
    const old = this.byRig.get(conn.rigId);
    this.byRig.set(conn.rigId, conn);
    if (old && old !== conn) old.close(4000, 'replaced by a newer connection of this rig');
  }

  remove(conn: WorkerConnection): boolean {
    if (this.byRig.get(conn.rigId) !== conn) return false;
    this.byRig.delete(conn.rigId);
    return true;
  }

  all(): WorkerConnection[] {
    return [...this.byRig.values()];
  }

  /** True once the proxy is shutting down: its rigs' jobs keep their leases for a restarted proxy. */
  shuttingDown = false;

  closeAll(code: number, reason: string): void {
    this.shuttingDown = true;
    for (const conn of this.all()) conn.close(code, reason);
  }
}
