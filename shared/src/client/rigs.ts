// A rig owner's routes: register, pause, price, bond, attest and retire their rigs.
import { API_ROUTES as CONTRACT } from '../contract/api';
import type { ClientHttp } from './http';

export function rigMethods({ call }: ClientHttp) {
  return {
    rigs: () => call(CONTRACT.rigs),
    registerRig: (name: string) => call(CONTRACT.registerRig, { body: { name } }),
    setRigPaused: (id: string, paused: boolean) =>
      call(CONTRACT.setRigPaused, { params: { id }, body: { paused } }),
    setAsk: (id: string, model: string, priceNanoPer1k: bigint) =>
      call(CONTRACT.setAsk, { params: { id, model }, body: { priceNanoPer1k: priceNanoPer1k.toString() } }),
    rotateRigToken: (id: string) => call(CONTRACT.rotateRigToken, { params: { id } }),
    revokeRig: (id: string) => call(CONTRACT.revokeRig, { params: { id } }),
    rigAudits: (id: string) => call(CONTRACT.rigAudits, { params: { id } }),
    rigHistory: (id: string) => call(CONTRACT.rigHistory, { params: { id } }),
    releaseRig: (id: string) => call(CONTRACT.releaseRig, { params: { id } }),
    attestRig: (id: string) => call(CONTRACT.attestRig, { params: { id } }),
    addBond: (id: string, amountNano: bigint) =>
      call(CONTRACT.addBond, { params: { id }, body: { amountNano: amountNano.toString() } }),
    withdrawBond: (id: string) => call(CONTRACT.withdrawBond, { params: { id } }),
  };
}
