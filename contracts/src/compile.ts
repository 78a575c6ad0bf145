// Compiles the Tolk sources in contracts/tolk with @ton/tolk-js (pinned 1.3.0), once per process: each
// contract's code Cell is cached in memory at first use.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Cell } from '@ton/core';
import { runTolkCompiler } from '@ton/tolk-js';

export type ContractName = 'vault' | 'user-account' | 'rig-account';

export const TOLK_DIR = fileURLToPath(new URL('../tolk/', import.meta.url));

const cache = new Map<ContractName, Promise<Cell>>();

async function compileOnce(name: ContractName): Promise<Cell> {
  const result = await runTolkCompiler({
    entrypointFileName: `${TOLK_DIR}${name}.tolk`,
    fsReadCallback: (p) => readFileSync(p, 'utf8'),
  });
  if (result.status !== 'ok') throw new Error(`tolk: ${name}.tolk: ${result.message}`);
  return Cell.fromBase64(result.codeBoc64);
}

/** The code cell of one contract, compiled at first use. */
export function compileContract(name: ContractName): Promise<Cell> {
  let code = cache.get(name);
  if (!code) {
    code = compileOnce(name);
    code.catch(() => cache.delete(name));
    cache.set(name, code);
  }
  return code;
}

export interface CocoonCodes {
  vault: Cell;
  userAccount: Cell;
  rigAccount: Cell;
}

/** All three code cells. */
export async function compileAll(): Promise<CocoonCodes> {
  const [vault, userAccount, rigAccount] = await Promise.all([
    compileContract('vault'),
    compileContract('user-account'),
    compileContract('rig-account'),
  ]);
  return { vault, userAccount, rigAccount };
}
