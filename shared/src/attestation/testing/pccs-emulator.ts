// TEST-ONLY. A local stand-in for a PCCS (Intel's Provisioning Certificate Caching Service, v4 API) that serves a
// SyntheticTdx world's collateral, so the code path that fetches collateral with dcap-qvl's getCollateral(pccsUrl,
// quote) runs without Intel's or Phala's servers. It answers exactly the four requests getCollateral makes for a TDX
// quote whose PCK chain is in the quote; anything else is a 404.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { SyntheticCollateralOptions, SyntheticTdx } from './synthetic-tdx';

export interface PccsEmulator {
  url: string;
  /** How many HTTP requests it has answered, 404s included. */
  readonly requests: number;
  close(): Promise<void>;
}

interface Reply {
  status: number;
  headers?: Record<string, string>;
  body: string | Buffer;
}

export async function startPccsEmulator(
  tdx: SyntheticTdx,
  opts: SyntheticCollateralOptions = {},
): Promise<PccsEmulator> {
  const collateral = tdx.collateral(opts);
  const fmspc = (JSON.parse(collateral.tcb_info) as { fmspc: string }).fmspc;
  // PCS URL-encodes issuer chains, since PEM's newlines cannot travel in a header; getCollateral decodes them.
  const chain = (pem: string) => encodeURIComponent(pem);
  const hexBytes = (v: string | number[]) => (typeof v === 'string' ? Buffer.from(v, 'hex') : Buffer.from(v));
  // Bodies embed the signed JSON verbatim, as PCS does: the signature covers those exact bytes.
  const signedJson = (key: string, json: string, signature: string | number[]) =>
    `{"${key}":${json},"signature":"${hexBytes(signature).toString('hex')}"}`;

  const route = (path: string, query: URLSearchParams): Reply => {
    switch (path) {
      case '/sgx/certification/v4/pckcrl':
        if (query.get('encoding') !== 'der') return { status: 400, body: 'encoding=der expected' };
        return {
          status: 200,
          headers: { 'SGX-PCK-CRL-Issuer-Chain': chain(collateral.pck_crl_issuer_chain) },
          body: hexBytes(collateral.pck_crl),
        };
      case '/sgx/certification/v4/rootcacrl':
        // PCCS (unlike PCS) serves the root CA CRL as hex text.
        return { status: 200, body: hexBytes(collateral.root_ca_crl).toString('hex') };
      case '/tdx/certification/v4/tcb':
        if (query.get('fmspc')?.toUpperCase() !== fmspc.toUpperCase())
          return { status: 404, body: 'unknown fmspc' };
        return {
          status: 200,
          headers: {
            'TCB-Info-Issuer-Chain': chain(collateral.tcb_info_issuer_chain),
            'Content-Type': 'application/json',
          },
          body: signedJson('tcbInfo', collateral.tcb_info, collateral.tcb_info_signature),
        };
      case '/tdx/certification/v4/qe/identity':
        return {
          status: 200,
          headers: {
            'SGX-Enclave-Identity-Issuer-Chain': chain(collateral.qe_identity_issuer_chain),
            'Content-Type': 'application/json',
          },
          body: signedJson('enclaveIdentity', collateral.qe_identity, collateral.qe_identity_signature),
        };
      default:
        return { status: 404, body: 'not found' };
    }
  };

  let requests = 0;
  const server = createServer((req, res) => {
    requests++;
    const url = new URL(req.url ?? '/', 'http://pccs.invalid');
    const reply =
      req.method === 'GET' ? route(url.pathname, url.searchParams) : { status: 405, body: 'GET only' };
    res.writeHead(reply.status, reply.headers);
    res.end(reply.body);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    get requests() {
      return requests;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        // fetch keeps connections alive; without this close() would wait for them to time out.
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}
