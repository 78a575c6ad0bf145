// The same device policy for libraries that create their own onnxruntime sessions
// (@huggingface/transformers takes `device: 'cuda' | 'cpu'` on Node): auto tries CUDA, then CPU.
import { type DeviceReport, detectDevice } from './detect-device';
import { defaultEngineLogger, type EngineLogger, logDetail } from './logger';
import { CudaUnavailableError, type DeviceChoice, type Provider } from './ort-session';

export async function resolveLmDevice<T>(
  choice: DeviceChoice,
  load: (provider: Provider) => Promise<T>,
  opts: { logger?: EngineLogger; label?: string; detect?: (c: DeviceChoice) => Promise<DeviceReport> } = {},
): Promise<{ value: T; provider: Provider }> {
  const logger = opts.logger ?? defaultEngineLogger;
  const label = opts.label ?? 'model';
  if (choice === 'cpu') {
    const value = await load('cpu');
    logDetail(logger, { model: label, provider: 'cpu', requested: choice }, 'model ready');
    return { value, provider: 'cpu' };
  }
  // Skip a doomed CUDA attempt (and its native error output) when the probe already failed.
  const report = await (opts.detect ?? detectDevice)(choice);
  if (report.provider === 'cuda' || choice === 'cuda') {
    try {
      const value = await load('cuda');
      logDetail(logger, { model: label, provider: 'cuda', requested: choice }, 'model ready');
      return { value, provider: 'cuda' };
    } catch (err) {
      if (choice === 'cuda') throw new CudaUnavailableError(err);
      logger.warn(
        {
          model: label,
          provider: 'cpu',
          requested: choice,
          reason: err instanceof Error ? err.message : String(err),
        },
        'CUDA execution provider unavailable, falling back to CPU',
      );
    }
  } else {
    // The probe already found no CUDA (said once, by loadModels): the model goes to CPU without a retry.
    logDetail(
      logger,
      { model: label, provider: 'cpu', requested: choice, reason: report.reason },
      'CUDA execution provider unavailable, using CPU',
    );
  }
  const value = await load('cpu');
  logDetail(logger, { model: label, provider: 'cpu', requested: choice }, 'model ready');
  return { value, provider: 'cpu' };
}
