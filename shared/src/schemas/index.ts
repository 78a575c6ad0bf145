export * from './common';
export * from './envelope';
