import { z } from 'zod';
import { imageJobEventV1, imageResultEventV1 } from './events.js';

/** JSON Schemas of the Kafka events, for producers in other languages. */
export function eventJsonSchemas(): Record<string, unknown> {
  return {
    'image-job.v1': z.toJSONSchema(imageJobEventV1, { target: 'draft-2020-12', io: 'input' }),
    'image-result.v1': z.toJSONSchema(imageResultEventV1, { target: 'draft-2020-12', io: 'input' }),
  };
}
