export * from './pipeline-topics.ts';
export * from './pipeline-billing.ts';
export * from './supervised.ts';
export * from './smtp-capture.ts';
export * from './abuse-drip-topics.ts';
export * from './scram-clients.ts';
