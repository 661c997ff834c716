import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { defineConnector } from '../sdk/define.ts';
import type { RestClient } from '../sdk/rest/index.ts';
import { createFulfillment } from './actions/create-fulfillment.ts';
import { getOrder } from './actions/get-order.ts';
import { getProduct } from './actions/get-product.ts';
import { listOrders } from './actions/list-orders.ts';
import { listProducts } from './actions/list-products.ts';
import { setInventoryLevel } from './actions/set-inventory-level.ts';
import { createShopifyClient, ShopifyCredential } from './client.ts';
import { orderCreated } from './triggers/order-created.ts';

export const shopifyConnector = defineConnector<ShopifyCredential, RestClient>({
  id: 'shopify',
  version: '1.0.0',
  title: 'Shopify',
  description:
    'A Shopify store through the Admin REST API: get and list orders and products, set inventory levels, fulfill orders with tracking; start workflows on new orders (self-registering webhook, HMAC checked).',
  credential: {
    type: 'shopify',
    schema: ShopifyCredential,
    howToGet:
      'In the Shopify admin: Settings → Apps and sales channels → Develop apps → Create an app, give it the Admin API scopes the workflow needs (read_orders, read_products, write_inventory, write_merchant_managed_fulfillment_orders…), install it and copy the Admin API access token (shown once) and the API secret key. Then `vmesh credentials set shopify --type shopify` with {"shop":"acme.myshopify.com","accessToken":"shpat_…","clientSecret":"…"}.',
    publicFields: ['shop'],
    wireSecrets: (credential: ShopifyCredential) => [credential.accessToken],
  },
  // The REST Admin API's leaky bucket: 40 requests, refilled at 2 per second (standard plans).
  rateLimit: { requests: 2, perSeconds: 1, burst: 40 },
  createClient: ({ credential, env }) => createShopifyClient({ credential, env }),
  async testCredential({ client, signal }) {
    const response = await client.send({ method: 'GET', path: '/shop.json' }, signal);
    const { shop } = z
      .object({ shop: z.object({ name: z.string(), myshopify_domain: z.string() }) })
      .parse(response.body);
    return `Shopify accepts the token for ${shop.name} (${shop.myshopify_domain}).`;
  },
  actions: [getOrder, listOrders, getProduct, listProducts, setInventoryLevel, createFulfillment],
  triggers: [orderCreated],
  docPath: fileURLToPath(new URL('./doc.md', import.meta.url)),
});
