// The exit CLI's logic (cli.ts is its command line): on-chain accounts emptied without the proxy.
export * from './args';
export * from './chain';
export * from './commands';
