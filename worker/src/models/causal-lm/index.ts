export { DEFAULT_CONTEXT_LENGTH, type HfFolderInfo, isHfCausalLmFolder, readHfFolder } from './hf-folder';
export {
  type CausalLM,
  type GenerateParams,
  type GenerateResult,
  GenerationAbortedError,
  generateParamsSchema,
  type LoadCausalLMOptions,
  loadCausalLM,
  PromptTooLongError,
} from './runner';
export { StopAwareTextStream } from './stream-text';
