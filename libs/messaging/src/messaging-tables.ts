export { MessagingTables1764115200000 } from './migrations/1764115200000-messaging-tables';
