import { transactionalConsumerSpec, type ConsumerSpec } from '@tally/kafka';
import type { Payment } from '@tally/records';
import { consumerBasics, type BillingConsumerOptions } from './consumer-context.ts';
import { insertPayments } from './reference-tables.ts';

/** payments → billing_payments (once per payment id); invoice status is derived from them on read (invoiceStatus). */
export function paymentConsumerSpec(options: BillingConsumerOptions<Payment>): ConsumerSpec<Payment, Payment> {
  return transactionalConsumerSpec({
    ...consumerBasics(options),
    apply: async (client, results) => {
      await insertPayments(client, results);
    },
  });
}
