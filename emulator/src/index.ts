// Public surface of the Telegram Bot API emulator.
export { parseMultipart, type UploadedFile } from './body';
export {
  type ApiCall,
  type ChatRef,
  defaultBot,
  Emulator,
  type EmulatorOptions,
  type Logger,
  startBotApiEmulator,
} from './emulator';
export { detectEntities, type FormattedText, parseFormattedText } from './entities';
export { ApiError, type ApiErrorShape } from './errors';
export { type InitDataInput, signInitData, webAppLaunchUrl } from './initdata';
export type {
  BotConfig,
  ButtonPress,
  CallbackAnswer,
  MemberStatus,
  NewUser,
  TgChat,
  TgMessage,
  TgUser,
  Update,
  WorldEvent,
} from './model';
export {
  type Charge,
  DEFAULT_STARS_BALANCE,
  type Invoice,
  type PayResult,
  PRECHECKOUT_TIMEOUT_MS,
  Stars,
  StarsError,
  type StarTransaction,
} from './stars';
export { realisticThrottle, type ThrottleOptions } from './throttle';
export type { UserContent } from './user-content';
export { botIdFromToken, World } from './world';
