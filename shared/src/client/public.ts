// The public routes: the proxy's health, the market and its models.
import { API_ROUTES as CONTRACT } from '../contract/api';
import type { ClientHttp } from './http';

export function publicMethods({ call }: ClientHttp) {
  return {
    health: () => call(CONTRACT.health),
    market: () => call(CONTRACT.market),
    models: () => call(CONTRACT.models),
  };
}
