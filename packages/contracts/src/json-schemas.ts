import { z } from 'zod';
import { bulkCommandEventV1 } from './bulk.js';
import { imageJobEventV1, imageResultEventV1 } from './events.js';

/** JSON Schemas of the Kafka events, for producers in other languages. */
export function eventJsonSchemas(): Record<string, unknown> {
  return {
    'image-job.v1': z.toJSONSchema(imageJobEventV1, { target: 'draft-2020-12', io: 'input' }),
    'image-result.v1': z.toJSONSchema(imageResultEventV1, { target: 'draft-2020-12', io: 'input' }),
    'bulk-command.v1': z.toJSONSchema(bulkCommandEventV1, { target: 'draft-2020-12', io: 'input' }),
  };
}
