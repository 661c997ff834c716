// The public surface of connectors/: other folders import only from here.

export { airtableConnector } from './airtable/connector.ts';
export { asanaConnector } from './asana/connector.ts';
export { builtinConnectors } from './builtin-connectors.ts';
export { calendlyConnector } from './calendly/connector.ts';
export { verifyCalendlySignature } from './calendly/triggers/invitee-created.ts';
export { compressionConnector } from './compression/connector.ts';
export * from './credentials/index.ts';
export { cryptoConnector } from './crypto/connector.ts';
export { discordConnector } from './discord/connector.ts';
export { dropboxConnector } from './dropbox/connector.ts';
export { dropboxOAuthProvider } from './dropbox/oauth-provider.ts';
export { emailConnector } from './email/connector.ts';
export { fileConnector } from './file/connector.ts';
export { githubConnector } from './github/connector.ts';
export {
  type GithubTriggerEvent,
  parseGithubWebhook,
  signGithubPayload,
  verifyGithubSignature,
} from './github/webhook.ts';
export { gmailConnector } from './gmail/connector.ts';
export { googleCalendarConnector } from './googlecalendar/connector.ts';
export { googleDocsConnector } from './googledocs/connector.ts';
export { googleDriveConnector } from './googledrive/connector.ts';
export { googleSheetsConnector } from './googlesheets/connector.ts';
export { htmlConnector } from './html/connector.ts';
export { httpConnector } from './http/connector.ts';
export { hubspotConnector } from './hubspot/connector.ts';
export { describeIssues, type InvokeActionArgs, invokeAction, toConnectorError } from './invoke.ts';
export { jiraConnector } from './jira/connector.ts';
export { kbConnector } from './kb/connector.ts';
export { linearConnector } from './linear/connector.ts';
export { LlmCredential } from './llm/client.ts';
export { llmConnector } from './llm/connector.ts';
export * from './llm/providers/index.ts';
export { markdownConnector } from './markdown/connector.ts';
export { mattermostConnector } from './mattermost/connector.ts';
export { mcpConnector } from './mcp/connector.ts';
export { mysqlConnector } from './mysql/connector.ts';
export { notionConnector } from './notion/connector.ts';
export {
  oauth2AppFor,
  oauth2ProvidersOf,
  oauthProviderTableMarkdown,
} from './oauth-providers.ts';
export * from './openapi/index.ts';
export { openWeatherMapConnector } from './openweathermap/connector.ts';
export { outlookConnector } from './outlook/connector.ts';
export { pipedriveConnector } from './pipedrive/connector.ts';
export { postgresConnector } from './postgres/connector.ts';
export { redisConnector } from './redis/connector.ts';
export { rssConnector } from './rss/connector.ts';
export { s3Connector } from './s3/connector.ts';
export { salesforceConnector } from './salesforce/connector.ts';
export { salesforceOAuthProvider } from './salesforce/oauth-provider.ts';
export * from './sdk/index.ts';
export { shopifyConnector } from './shopify/connector.ts';
export { slackConnector } from './slack/connector.ts';
export { MessagePostedData, parseSlackMessageEvent } from './slack/triggers/message-posted.ts';
export { stateConnector } from './state/connector.ts';
export { stripeConnector } from './stripe/connector.ts';
export { supabaseConnector } from './supabase/connector.ts';
export { teamsConnector } from './teams/connector.ts';
export { telegramConnector } from './telegram/connector.ts';
export { parseTelegramUpdate } from './telegram/triggers/message.ts';
export { todoistConnector } from './todoist/connector.ts';
export { trelloConnector } from './trello/connector.ts';
export { twilioConnector } from './twilio/connector.ts';
export { signTwilioRequest, verifyTwilioSignature } from './twilio/signature.ts';
export { typeformConnector } from './typeform/connector.ts';
export { verifyTypeformSignature } from './typeform/triggers/response-submitted.ts';
export { websearchConnector } from './websearch/connector.ts';
export { whatsappConnector } from './whatsapp/connector.ts';
export { parseWhatsappNotification, verifyMetaSignature } from './whatsapp/triggers/message.ts';
export { woocommerceConnector } from './woocommerce/connector.ts';
export { wordpressConnector } from './wordpress/connector.ts';
export { xConnector } from './x/connector.ts';
export { xmlConnector } from './xml/connector.ts';
export { zendeskConnector } from './zendesk/connector.ts';
