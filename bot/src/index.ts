// Public surface of the Cocoon bot package.

export { type BotConfig, DEV_SERVICE_KEY, LOCAL_BOT_TOKEN, loadBotConfig } from './config';
export { type BotDeps, COMMANDS, createBot, defaultDeps, type Logger, Tasks } from './create-bot';
export { createHistoryStore, type HistoryStore } from './history/store';
export { type LocalBot, type LocalBotOptions, startLocalBot } from './local';
export { type RunningBot, startBot } from './run';
