export { type DeviceReport, detectDevice } from './detect-device';
export { resolveLmDevice } from './lm-device';
export { defaultEngineLogger, type EngineLogger, logDetail, silentEngineLogger } from './logger';
export { GraphBuilder } from './onnx-builder';
export {
  type CreateSessionOptions,
  CudaUnavailableError,
  createOrtSession,
  type DeviceChoice,
  defaultSessionFactory,
  deviceChoiceSchema,
  type OrtSessionHandle,
  type Provider,
  type SessionFactory,
} from './ort-session';
