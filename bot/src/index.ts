// Public surface of the Cocoon bot package.
export { type BotDeps, COMMANDS, createBot, defaultDeps, type Logger, Tasks } from './bot/index';
export { type BotConfig, DEV_SERVICE_KEY, LOCAL_BOT_TOKEN, loadBotConfig } from './config';
export { createHistoryStore, type HistoryStore } from './history/store';
export { type LocalBot, type LocalBotOptions, startLocalBot } from './local';
export { type RunningBot, startBot } from './run';
