export * from './stack.ts';
export * from './stack-config.ts';
export * from './prepare.ts';
export * from './paths.ts';
export * from './private-broker.ts';
export * from './private-registry.ts';
export * from './secure-broker.ts';
export * from './service-acls.ts';
