// The signed-in user's own routes: their balance, ledger, jobs and API keys.
import { API_ROUTES as CONTRACT } from '../contract/api';
import type { ClientHttp } from './http';

export function meMethods({ call }: ClientHttp) {
  return {
    me: () => call(CONTRACT.me),
    ledger: () => call(CONTRACT.ledger),
    myJobs: () => call(CONTRACT.myJobs),
    apiKeys: () => call(CONTRACT.apiKeys),
    createApiKey: (name: string) => call(CONTRACT.createApiKey, { body: { name } }),
    revokeApiKey: (id: string) => call(CONTRACT.revokeApiKey, { params: { id } }),
  };
}
