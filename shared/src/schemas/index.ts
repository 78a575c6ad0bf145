export * from './api';
export * from './common';
export * from './envelope';
export * from './worker';
