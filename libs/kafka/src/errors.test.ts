import { describe, expect, it } from 'vitest';
import { classifyError, poison } from './errors.ts';

/** The shape of pg's DatabaseError: SQLSTATE in `code`, and a severity. */
function pgError(code: string, message = 'database error'): Error {
  return Object.assign(new Error(message), { code, severity: 'ERROR' });
}

function kafkaError(name: string, fields: Record<string, unknown>): Error {
  return Object.assign(new Error('kafka error'), { name, ...fields });
}

const kindOf = (error: unknown) => classifyError(error).kind;
const classOf = (error: unknown) => {
  const decided = classifyError(error);
  return decided.kind === 'deterministic' ? decided.errorClass : undefined;
};

describe('classifyError', () => {
  it('retries PostgreSQL connection, contention, shutdown and resource errors', () => {
    for (const code of ['08006', '08001', '40001', '40P01', '57P01', '53300', '55P03', '57014'])
      expect(kindOf(pgError(code)), code).toBe('transient');
  });

  it('dead-letters PostgreSQL data exceptions and integrity violations', () => {
    expect(classifyError(pgError('22003', 'numeric field overflow'))).toMatchObject({
      kind: 'deterministic',
      errorClass: 'pg.22003',
    });
    expect(classOf(pgError('23505'))).toBe('pg.23505');
    expect(classOf(pgError('22007'))).toBe('pg.22007');
  });

  it('retries what the network and the broker say is temporary', () => {
    expect(kindOf(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }))).toBe(
      'transient',
    );
    expect(kindOf(kafkaError('KafkaJSConnectionError', { retriable: true }))).toBe('transient');
    expect(kindOf(kafkaError('KafkaJSProtocolError', { type: 'LEADER_NOT_AVAILABLE', retriable: true }))).toBe(
      'transient',
    );
    expect(kindOf(new Error('Connection terminated unexpectedly'))).toBe('transient');
    expect(kindOf(new Error('timeout exceeded when trying to connect'))).toBe('transient');
    expect(kindOf(Object.assign(new Error('registry says 503'), { status: 503 }))).toBe('transient');
  });

  it('looks through causes: a TypeError caused by a refused connection is the network, not the data', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    expect(kindOf(new TypeError('fetch failed', { cause: refused }))).toBe('transient');
    expect(kindOf(new AggregateError([refused], 'all addresses failed'))).toBe('transient');
    const tooLarge = kafkaError('KafkaJSProtocolError', { type: 'MESSAGE_TOO_LARGE', retriable: false });
    expect(classOf(kafkaError('KafkaJSNonRetriableError', { retriable: false, cause: tooLarge }))).toBe(
      'MESSAGE_TOO_LARGE',
    );
  });

  it('dead-letters errors of the record itself', () => {
    expect(classOf(poison('ValidationFailed', 'rxBytes: negative'))).toBe('ValidationFailed');
    expect(classOf(new RangeError('Invalid time value'))).toBe('RangeError');
    expect(classOf(new TypeError("Cannot read properties of undefined (reading 'x')"))).toBe('TypeError');
    expect(classOf(new SyntaxError('Unexpected token'))).toBe('SyntaxError');
    expect(classOf(kafkaError('KafkaJSProtocolError', { type: 'INVALID_RECORD', retriable: false }))).toBe(
      'INVALID_RECORD',
    );
    expect(classOf(new Error('[DecimalError] Invalid argument: x'))).toBe('DecimalError');
  });

  it('obeys a service marking its error not retryable, whatever its message says', () => {
    class MissingPriceError extends Error {
      override readonly name = 'MissingPriceError';
      readonly retryable = false;
    }
    expect(classOf(new MissingPriceError('no price (lookup timed out)'))).toBe('MissingPriceError');
    expect(classOf(poison('BusinessRule', 'connection timeout of 0 is refused'))).toBe('BusinessRule');
    expect(kindOf(Object.assign(new RangeError('x'), { retryable: true }))).toBe('transient');
  });

  it('keeps the offset fence its own case', () => {
    const conflict = Object.assign(new Error('stored offset moved'), { name: 'OffsetConflictError' });
    expect(kindOf(conflict)).toBe('conflict');
  });

  it('retries what it does not know, rather than dead-letter a record it is unsure about', () => {
    expect(classifyError(new Error('something odd'))).toMatchObject({ kind: 'transient', category: 'fault' });
    expect(kindOf('a string')).toBe('transient');
    expect(kindOf(pgError('42P01', 'relation "sums" does not exist'))).toBe('transient');
  });
});
