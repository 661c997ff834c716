import { z } from 'zod';
import { describeNamed } from '../../sdk/describe-target.ts';
import { ShopifyId } from '../client.ts';
import { rest } from '../kit.ts';

const RawLevel = z.object({
  inventory_level: z.object({
    inventory_item_id: z.number(),
    location_id: z.number(),
    available: z.number().int().nullable(),
    updated_at: z.string(),
  }),
});

export const setInventoryLevel = rest.action({
  key: 'setInventoryLevel',
  title: 'Set Shopify stock at a location',
  description:
    'Set how many units of a product variant are available at one Shopify location (an absolute count, e.g. after a stock take or a sync from a warehouse system). Setting the same count again changes nothing.',
  effect: 'write',
  idempotent: true,
  describeTarget: (withValue) =>
    describeNamed('the Shopify inventory item', withValue.inventoryItemId, {
      location: withValue.locationId,
    }),
  input: z.strictObject({
    inventoryItemId: ShopifyId('inventory item', '808950810 (a variant’s inventoryItemId from getProduct)'),
    locationId: ShopifyId('location', '655441491 (Settings → Locations, the number in the URL)'),
    available: z
      .number()
      .int()
      .min(-1_000_000)
      .max(1_000_000_000)
      .describe('The new available count, e.g. 42.'),
  }),
  output: z.object({
    inventoryItemId: z.string().describe('The inventory item.'),
    locationId: z.string().describe('The location.'),
    available: z.number().int().nullable().describe('The count Shopify now has.'),
    updatedAt: z.string().describe('When it changed (ISO).'),
  }),
  http: {
    method: 'POST',
    path: '/inventory_levels/set.json',
    json: (input) => ({
      inventory_item_id: Number(input.inventoryItemId),
      location_id: Number(input.locationId),
      available: input.available,
    }),
  },
  project: (response) => {
    const level = RawLevel.parse(response.body).inventory_level;
    return {
      inventoryItemId: String(level.inventory_item_id),
      locationId: String(level.location_id),
      available: level.available,
      updatedAt: level.updated_at,
    };
  },
});
