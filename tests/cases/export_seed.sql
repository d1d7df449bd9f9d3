-- seat map, CRM users and links as the load stage would leave them
INSERT INTO crm_users(user_id, name, email, active) VALUES
 ('0055g00000I7zYwAAJ', 'Ana Souza', 'ana.souza@kestrel-analytics.example', 1),
 ('0055g00000I7zYzAAJ', 'Robert Chen', 'robert.chen@kestrel-analytics.example', 1),
 ('0055g00000I7zXhAAJ', 'Ingrid Larsen', 'ingrid.larsen@kestrel-analytics.example', 1),
 ('0055g00000I7zZjAAJ', 'Priya Nair', 'priya.nair@kestrel-analytics.example', 1),
 ('0055g00000I7zYAAAZ', 'Mei Tanaka', 'mei.tanaka@kestrel-analytics.example', 1),
 ('0055g00000I7zXWAAZ', 'Marcus Bell', 'marcus.bell@kestrel-analytics.example', 1),
 ('0055g00000I7zY2AAJ', 'Daniel Ortega', 'daniel.ortega@kestrel-analytics.example', 1),
 ('0055g00000I7zZNAAZ', 'Tom Walsh', 'tom.walsh@kestrel-analytics.example', 1);
INSERT INTO seats(seat_id, user_id, mapped_by, run_id) VALUES
 ('S08', '0055g00000I7zYwAAJ', 'email', 'seed'),
 ('S09', '0055g00000I7zYzAAJ', 'email', 'seed'),
 ('S02', '0055g00000I7zXhAAJ', 'email', 'seed'),
 ('S12', '0055g00000I7zZjAAJ', 'email', 'seed'),
 ('S04', '0055g00000I7zYAAAZ', 'email', 'seed'),
 ('S01', '0055g00000I7zXWAAZ', 'email', 'seed'),
 ('S03', '0055g00000I7zY2AAJ', 'email', 'seed'),
 ('S10', '0055g00000I7zZNAAZ', 'email', 'seed'),
 ('S05', NULL, NULL, 'seed');
INSERT INTO links(kind, target_id, crm_object, crm_id, score, manual, badge_url, run_id) VALUES
 ('person', 'M1150', 'Contact', '0035g00000Ma9XkAAJ', 20, 0, 'x', 'seed'),
 ('person', 'M1042', 'Lead', '00Q5g00000KtB0eEAF', 20, 0, 'x', 'seed'),
 ('person', 'M1168', 'Contact', '0035g00000Ma9Y4AAJ', 20, 0, 'x', 'seed'),
 ('account', 'C141', 'Account', '0015g00000Hq2DPAAZ', 20, 0, 'x', 'seed'),
 ('account', 'C154', 'Account', '0015g00000Hq2GiAAJ', 20, 0, 'x', 'seed');
