// @cocoon/gateway: the developer's OpenAI-compatible local gateway.
export { type OpenAiError, toOpenAiError } from './errors';
export { type ClientGateway, type GatewayOptions, startClientGateway } from './gateway';
export { chatPlan, completionPlan, InvalidRequest, type JobPlan } from './mapping';
export { fileVoucherStore, VoucherStoreError } from './voucher-store';
