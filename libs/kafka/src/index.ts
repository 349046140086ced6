export * from './catalog.ts';
export * from './errors.ts';
export * from './typed-topic.ts';
export * from './topics.ts';
export * from './registry.ts';
export * from './codec.ts';
export * from './client.ts';
export * from './apply-topics.ts';
