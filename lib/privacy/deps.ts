import { documentClient } from '../aws/clients.ts';
import { config } from '../config.ts';
import { DynamoEventStore } from '../events/store.ts';
import { type ErasureDeps, eventsEraser, profileEraser } from './eraseCustomer.ts';
import { DynamoErasureStore } from './erasures.ts';

/** Composition root of erasure: the erasure records and every store of a customer's own items. */
export function erasureDeps(): ErasureDeps {
  const cfg = config();
  return {
    erasures: new DynamoErasureStore(documentClient(), cfg.appTable),
    erasers: [
      eventsEraser(new DynamoEventStore(documentClient(), cfg.eventsTable)),
      profileEraser(documentClient(), cfg.appTable),
    ],
  };
}
