export * from './events';
export * from './window';
export * from './bank';
