import { z } from 'zod';

const ISO_CURRENCY_CODES = Intl.supportedValuesOf('currency');
const ISO_CURRENCIES: ReadonlySet<string> = new Set(ISO_CURRENCY_CODES);

/** Amounts are integer minor units (cents). Bounded so a sum of many stays exact in a double. */
export const MAX_AMOUNT_MINOR = 100_000_000_000; // 1e11 minor units = 1 billion major units

export const amountMinorSchema = z
  .number({ error: 'must be a number of minor units' })
  .int({ error: 'must be a whole number of minor units (no fractions)' })
  .min(0, { error: 'must not be negative' })
  .max(MAX_AMOUNT_MINOR, { error: `must be at most ${MAX_AMOUNT_MINOR}` });

export const currencySchema = z
  .string()
  .regex(/^[A-Z]{3}$/, { error: 'must be a three-letter ISO 4217 code in upper case' })
  .refine((code) => ISO_CURRENCIES.has(code), { error: 'is not an ISO 4217 currency' })
  // The refinement is invisible to JSON Schema: the codes go into the documents as an enum, so a
  // client (or a fuzzer) generating from them sends codes the API accepts.
  .meta({ enum: ISO_CURRENCY_CODES });

export const moneySchema = z.object({
  amountMinor: amountMinorSchema,
  currency: currencySchema,
});
export type Money = z.infer<typeof moneySchema>;
