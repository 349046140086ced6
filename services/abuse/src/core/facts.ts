import { hourOf } from '@tally/fsm';
import type { BillingHourly, Invoice, Payment, UsageHourly } from '@tally/records';
import type { AbuseEvent } from './events.ts';

/** An event as stored while it waits for the watermark: the latest version of its identity wins. */
export interface Fact {
  readonly accountId: string;
  readonly event: AbuseEvent;
  readonly version: number;
}

export function usageFact(usage: UsageHourly): Fact {
  return {
    accountId: usage.accountId,
    version: usage.version,
    event: {
      kind: 'usage',
      hour: hourOf(usage.hourStart),
      instanceId: usage.instanceId,
      instanceType: usage.instanceType,
      runningSeconds: usage.runningSeconds,
      cpuSeconds: usage.cpuSeconds,
    },
  };
}

export function chargeFact(charge: BillingHourly): Fact {
  return {
    accountId: charge.accountId,
    version: charge.version,
    event: { kind: 'charge', hour: hourOf(charge.hourStart), hourTotal: charge.hourTotal },
  };
}

/** A failed payment changes nothing by itself (the invoice stays unpaid, its chase goes on): no fact. */
export function paymentFact(payment: Payment): Fact | undefined {
  const hour = hourOf(payment.at);
  if (payment.kind === 'payment_method_added') {
    return {
      accountId: payment.accountId,
      version: 0,
      event: { kind: 'payment-method', hour, paymentId: payment.paymentId },
    };
  }
  if (payment.kind === 'invoice_paid' && payment.invoiceNumber !== null) {
    return {
      accountId: payment.accountId,
      version: 0,
      event: { kind: 'paid', hour, paymentId: payment.paymentId, invoiceNumber: payment.invoiceNumber },
    };
  }
  return undefined;
}

/** An invoice applies in the hour billing finalized it; its chase runs from its due date. */
export function invoiceFact(invoice: Invoice): Fact {
  return {
    accountId: invoice.accountId,
    version: invoice.version,
    event: {
      kind: 'invoice',
      hour: hourOf(invoice.finalizedAt),
      number: invoice.number,
      month: invoice.month,
      total: invoice.total,
      dueHour: hourOf(invoice.dueAt),
    },
  };
}
