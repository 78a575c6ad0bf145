export * from './bytes';
export * from './client';
export * from './crypto/envelope';
export * from './crypto/keys';
export * from './crypto/receipt';
export * from './pricing';
export * from './schemas';
export * from './telegram-init-data';
