import { documentClient, s3Client } from '../aws/clients.ts';
import { config } from '../config.ts';
import { DynamoEventStore } from '../events/store.ts';
import { reportsEraser } from '../insights/reportsEraser.ts';
import { type CustomerDataEraser, eventsEraser, profileEraser } from './eraseCustomer.ts';

/** Composition root of erasure: every store that holds a customer's data, from the configuration. */
export function customerErasers(): CustomerDataEraser[] {
  const cfg = config();
  return [
    eventsEraser(new DynamoEventStore(documentClient(), cfg.eventsTable)),
    profileEraser(documentClient(), cfg.appTable),
    reportsEraser(s3Client(), cfg.reportsBucket),
  ];
}
