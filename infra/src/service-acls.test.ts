import { AclOperationTypes, AclResourceTypes, ResourcePatternTypes } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { serviceAcls } from './service-acls.ts';

describe('serviceAcls', () => {
  it('allows exactly the topics and groups named, for that principal only', () => {
    const acls = serviceAcls('billing', {
      writes: ['billing.hourly.v1'],
      reads: ['usage.hourly.v1'],
      describes: ['traffic.samples.v1'],
      groups: ['billing'],
      groupPrefixes: ['billing-'],
    });
    expect(acls.map((a) => [a.principal, a.resourceType, a.resourceName, a.resourcePatternType, a.operation])).toEqual([
      [
        'User:billing',
        AclResourceTypes.TOPIC,
        'billing.hourly.v1',
        ResourcePatternTypes.LITERAL,
        AclOperationTypes.WRITE,
      ],
      ['User:billing', AclResourceTypes.TOPIC, 'usage.hourly.v1', ResourcePatternTypes.LITERAL, AclOperationTypes.READ],
      [
        'User:billing',
        AclResourceTypes.TOPIC,
        'traffic.samples.v1',
        ResourcePatternTypes.LITERAL,
        AclOperationTypes.DESCRIBE,
      ],
      ['User:billing', AclResourceTypes.GROUP, 'billing', ResourcePatternTypes.LITERAL, AclOperationTypes.READ],
      ['User:billing', AclResourceTypes.GROUP, 'billing-', ResourcePatternTypes.PREFIXED, AclOperationTypes.READ],
    ]);
  });

  it('grants nothing for no grants (the authorizer then refuses everything)', () => {
    expect(serviceAcls('agent', {})).toEqual([]);
  });
});
