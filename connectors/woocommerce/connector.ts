import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { basicAuthWireSecrets } from '../sdk/credential-secrets.ts';
import { defineConnector } from '../sdk/define.ts';
import type { RestClient } from '../sdk/rest/index.ts';
import { getOrder, listOrders, updateOrder } from './actions/orders.ts';
import { getProduct, listProducts, updateProduct } from './actions/products.ts';
import { createWoocommerceClient, WoocommerceCredential } from './client.ts';
import { orderCreated } from './triggers/order-created.ts';

const SystemStatus = z.object({ environment: z.object({ site_url: z.string().optional() }).loose() }).loose();

export const woocommerceConnector = defineConnector<WoocommerceCredential, RestClient>({
  id: 'woocommerce',
  version: '1.0.0',
  title: 'WooCommerce',
  description:
    'Read, list and update WooCommerce orders and products (REST API v3); start workflows on new orders (order.created webhook).',
  credential: {
    type: 'woocommerce',
    schema: WoocommerceCredential,
    howToGet:
      'In WordPress: WooCommerce → Settings → Advanced → REST API → Add key, user a Shop manager, permission Read/Write (Read is enough for reading; the orderCreated trigger that registers itself needs Read/Write) → Generate, copy the consumer key and secret, then `vmesh credentials set shop --type woocommerce` with {"siteUrl":"https://shop.example.com","consumerKey":"ck_…","consumerSecret":"cs_…"}. The shop must be on https.',
    wireSecrets: (credential: WoocommerceCredential) =>
      basicAuthWireSecrets(credential.consumerKey, credential.consumerSecret),
    publicFields: ['siteUrl'],
  },
  // WooCommerce documents no limit (the Store API's is not this API's); a shop on shared hosting needs calm.
  rateLimit: { requests: 5, perSeconds: 1, burst: 10 },
  createClient: createWoocommerceClient,
  async testCredential({ client, signal }) {
    const status = SystemStatus.parse(
      (await client.send({ method: 'GET', path: '/system_status' }, signal)).body,
    );
    return `WooCommerce accepts the key${status.environment.site_url ? ` for ${status.environment.site_url}` : ''}.`;
  },
  actions: [getOrder, listOrders, updateOrder, getProduct, listProducts, updateProduct],
  triggers: [orderCreated],
  docPath: fileURLToPath(new URL('./doc.md', import.meta.url)),
});
