import {
  COMPANIES,
  CONTACTS,
  createObjectAction,
  DEALS,
  searchObjectAction,
  updateObjectAction,
} from './objects.ts';

export const createContact = createObjectAction(CONTACTS);
export const updateContact = updateObjectAction(CONTACTS);
export const searchContacts = searchObjectAction(CONTACTS);
export const createCompany = createObjectAction(COMPANIES);
export const updateCompany = updateObjectAction(COMPANIES);
export const searchCompanies = searchObjectAction(COMPANIES);
export const createDeal = createObjectAction(DEALS);
export const updateDeal = updateObjectAction(DEALS);
export const searchDeals = searchObjectAction(DEALS);
