export * from './tcp-proxy.ts';
export * from './child-process.ts';
