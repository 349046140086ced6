export * from './pipeline-topics.ts';
