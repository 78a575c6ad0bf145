// The operator's routes (ADMIN_KEY).
import { API_ROUTES as CONTRACT } from '../contract/api';
import type { ClientHttp } from './http';

export function adminMethods({ call }: ClientHttp) {
  return {
    /** The operator's view of deposits nobody could be credited for. */
    unclaimed: () => call(CONTRACT.unclaimed),
  };
}
