import { describe, expect, it } from 'vitest';
import { judgeSchemaIdLookup, redactUrl } from './schema-id-lookup.ts';

const healthySubjects = { status: 200, body: ['traffic.samples.v1-value'] };

describe('judgeSchemaIdLookup', () => {
  it('calls an id absent only on 40403 from a registry whose /subjects answers', () => {
    const notFound = { status: 404, body: { message: "No content with ID '7' was found.", error_code: 40403 } };
    expect(judgeSchemaIdLookup(notFound, healthySubjects)).toEqual({ kind: 'absent' });
    expect(judgeSchemaIdLookup(notFound, { status: 404, body: undefined }).kind).toBe('unhealthy');
    expect(judgeSchemaIdLookup(notFound, { status: 503, body: undefined }).kind).toBe('unhealthy');
    expect(judgeSchemaIdLookup(notFound, undefined).kind).toBe('unhealthy');
  });

  it('treats a 404 from a wrong path (no Confluent error code) as unhealthy, with a hint', () => {
    const wrongPath = { status: 404, body: { title: 'RESTEASY003210: Could not find resource', status: 404 } };
    const judged = judgeSchemaIdLookup(wrongPath, healthySubjects);
    expect(judged).toMatchObject({ kind: 'unhealthy', reason: expect.stringMatching(/ccompat/) as unknown });
    expect(judgeSchemaIdLookup({ status: 404, body: undefined }, healthySubjects).kind).toBe('unhealthy');
    // Subject not found (40401) is not "schema id not found".
    expect(judgeSchemaIdLookup({ status: 404, body: { error_code: 40401 } }, healthySubjects).kind).toBe('unhealthy');
  });

  it('treats 5xx and other statuses as unhealthy and 200 as present', () => {
    expect(judgeSchemaIdLookup({ status: 500, body: undefined }, undefined).kind).toBe('unhealthy');
    expect(judgeSchemaIdLookup({ status: 401, body: undefined }, undefined).kind).toBe('unhealthy');
    expect(judgeSchemaIdLookup({ status: 200, body: { schema: '"string"' } }, undefined)).toEqual({ kind: 'present' });
  });
});

describe('redactUrl', () => {
  it('drops user info', () => {
    expect(redactUrl('http://user:s3cret@registry:8081/apis/ccompat/v7')).toBe('http://registry:8081/apis/ccompat/v7');
    expect(redactUrl('not a url')).not.toContain('not a url');
  });
});
