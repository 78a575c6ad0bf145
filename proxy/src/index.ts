export type { Logger } from '@cocoon/shared/node';
export { type BuildOptions, buildProxy, type ProxyApp, type ProxyServer, startProxy } from './app';
export { auditorPay, refundUnvouched } from './audits/consequences';
export { shouldAudit } from './audits/service';
export type { SandboxChain } from './chain';
export { type CheckLine, checkMain, formatChecks, problemLines, runChecks } from './check';
export { type Config, DEV_BOT_TOKEN, DEV_SERVICE_KEY, loadConfig } from './config';
export { type Db, openDb, type Queryable } from './db';
export { balanceOf, ledgerTotals, postTx, SYSTEM, userAccount } from './ledger/ledger';
