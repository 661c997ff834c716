import { airtableConnector } from './airtable/connector.ts';
import { asanaConnector } from './asana/connector.ts';
import { calendlyConnector } from './calendly/connector.ts';
import { compressionConnector } from './compression/connector.ts';
import { cryptoConnector } from './crypto/connector.ts';
import { discordConnector } from './discord/connector.ts';
import { dropboxConnector } from './dropbox/connector.ts';
import { emailConnector } from './email/connector.ts';
import { fileConnector } from './file/connector.ts';
import { githubConnector } from './github/connector.ts';
import { gmailConnector } from './gmail/connector.ts';
import { googleCalendarConnector } from './googlecalendar/connector.ts';
import { googleDocsConnector } from './googledocs/connector.ts';
import { googleDriveConnector } from './googledrive/connector.ts';
import { googleSheetsConnector } from './googlesheets/connector.ts';
import { htmlConnector } from './html/connector.ts';
import { httpConnector } from './http/connector.ts';
import { hubspotConnector } from './hubspot/connector.ts';
import { jiraConnector } from './jira/connector.ts';
import { kbConnector } from './kb/connector.ts';
import { linearConnector } from './linear/connector.ts';
import { llmConnector } from './llm/connector.ts';
import { markdownConnector } from './markdown/connector.ts';
import { mattermostConnector } from './mattermost/connector.ts';
import { mcpConnector } from './mcp/connector.ts';
import { mysqlConnector } from './mysql/connector.ts';
import { notionConnector } from './notion/connector.ts';
import { openWeatherMapConnector } from './openweathermap/connector.ts';
import { outlookConnector } from './outlook/connector.ts';
import { pipedriveConnector } from './pipedrive/connector.ts';
import { postgresConnector } from './postgres/connector.ts';
import { redisConnector } from './redis/connector.ts';
import { rssConnector } from './rss/connector.ts';
import { s3Connector } from './s3/connector.ts';
import { salesforceConnector } from './salesforce/connector.ts';
import type { ConnectorDefinition } from './sdk/index.ts';
import { shopifyConnector } from './shopify/connector.ts';
import { slackConnector } from './slack/connector.ts';
import { stateConnector } from './state/connector.ts';
import { stripeConnector } from './stripe/connector.ts';
import { supabaseConnector } from './supabase/connector.ts';
import { teamsConnector } from './teams/connector.ts';
import { telegramConnector } from './telegram/connector.ts';
import { todoistConnector } from './todoist/connector.ts';
import { trelloConnector } from './trello/connector.ts';
import { twilioConnector } from './twilio/connector.ts';
import { typeformConnector } from './typeform/connector.ts';
import { websearchConnector } from './websearch/connector.ts';
import { whatsappConnector } from './whatsapp/connector.ts';
import { woocommerceConnector } from './woocommerce/connector.ts';
import { wordpressConnector } from './wordpress/connector.ts';
import { xConnector } from './x/connector.ts';
import { xmlConnector } from './xml/connector.ts';
import { zendeskConnector } from './zendesk/connector.ts';

/** Every built-in connector. Each lives in its own folder and is added here. */
export const builtinConnectors: ConnectorDefinition[] = [
  httpConnector,
  slackConnector,
  discordConnector,
  githubConnector,
  emailConnector,
  postgresConnector,
  llmConnector,
  mcpConnector,
  rssConnector,
  kbConnector,
  fileConnector,
  xmlConnector,
  htmlConnector,
  markdownConnector,
  cryptoConnector,
  compressionConnector,
  stateConnector,
  telegramConnector,
  todoistConnector,
  openWeatherMapConnector,
  airtableConnector,
  notionConnector,
  hubspotConnector,
  pipedriveConnector,
  wordpressConnector,
  xConnector,
  supabaseConnector,
  woocommerceConnector,
  stripeConnector,
  shopifyConnector,
  salesforceConnector,
  websearchConnector,
  gmailConnector,
  outlookConnector,
  teamsConnector,
  mattermostConnector,
  mysqlConnector,
  redisConnector,
  s3Connector,
  dropboxConnector,
  twilioConnector,
  typeformConnector,
  whatsappConnector,
  calendlyConnector,
  googleSheetsConnector,
  googleDriveConnector,
  googleDocsConnector,
  googleCalendarConnector,
  jiraConnector,
  zendeskConnector,
  linearConnector,
  trelloConnector,
  asanaConnector,
];
