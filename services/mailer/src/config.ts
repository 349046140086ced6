import { connectionEnv, dbSchemaName } from '@tally/config';
import { topics } from '@tally/kafka';
import { z } from 'zod';

/** The mailer's environment. The topic name defaults to the catalog's; tests point a process at a fresh topic. */
export const mailerEnv = connectionEnv.extend({
  DB_SCHEMA: dbSchemaName.default('public'),
  MAILER_GROUP: z.string().min(1).default('mailer'),
  MAILER_TOPIC: z.string().min(1).default(topics.emailNotifications.name),
  SMTP_HOST: z.string().min(1).default('127.0.0.1'),
  SMTP_PORT: z.coerce.number().int().min(1).max(65_535).default(1025),
  /** `tls` (port 465), `starttls` (required upgrade) or `none` (a local relay only). */
  SMTP_TLS: z.enum(['tls', 'starttls', 'none']).default('starttls'),
  SMTP_USER: z.string().min(1).optional(),
  /** A file with the SMTP password (never the password itself in the environment). */
  SMTP_PASSWORD_FILE: z.string().min(1).optional(),
  SMTP_TIMEOUT_MS: z.coerce.number().int().positive().default(30_000),
  MAIL_FROM: z.string().min(3).default('Tally <hello@tally.example>'),
  /** The domain of the Message-IDs the mailer makes. */
  MAIL_MESSAGE_ID_DOMAIN: z
    .string()
    .regex(/^[A-Za-z0-9.-]{1,253}$/, 'expected a domain name')
    .default('tally.example'),
  /** A folder of `<name>.txt` + `<name>.html` templates; the ones in services/mailer/templates by default. */
  MAILER_TEMPLATES_DIR: z.string().min(1).optional(),
  MAILER_SESSION_TIMEOUT_MS: z.coerce.number().int().positive().default(10_000),
  MAILER_METRICS_PORT: z.coerce.number().int().min(0).max(65_535).default(9468),
  MAILER_SHUTDOWN_DEADLINE_MS: z.coerce.number().int().positive().default(20_000),
  DB_POOL_MAX: z.coerce.number().int().positive().default(4),
});
export type MailerConfig = z.infer<typeof mailerEnv>;
