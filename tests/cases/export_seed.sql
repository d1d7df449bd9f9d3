-- the seat map and links as the load stage leaves them (store core tables)
INSERT INTO seats(seat_id, user_id, mapped_by, seat_email, run_id) VALUES
 ('S08', '0055g00000I7zYwAAJ', 'email', 'ana.souza@kestrel-analytics.example', 'seed'),
 ('S09', '0055g00000I7zYzAAJ', 'email', 'robert.chen@kestrel-analytics.example', 'seed'),
 ('S02', '0055g00000I7zXhAAJ', 'email', 'ingrid.larsen@kestrel-analytics.example', 'seed'),
 ('S12', '0055g00000I7zZjAAJ', 'email', 'priya.nair@kestrel-analytics.example', 'seed'),
 ('S04', '0055g00000I7zYAAAZ', 'email', 'mei.tanaka@kestrel-analytics.example', 'seed'),
 ('S01', '0055g00000I7zXWAAZ', 'email', 'marcus.bell@kestrel-analytics.example', 'seed'),
 ('S03', '0055g00000I7zY2AAJ', 'email', 'daniel.ortega@kestrel-analytics.example', 'seed'),
 ('S10', '0055g00000I7zZNAAZ', 'email', 'Tom.Walsh@Kestrel-Analytics.example', 'seed'),
 ('S05', NULL, NULL, 'sophie.martin@kestrel-analytics.example', 'seed');
INSERT INTO links(kind, target_id, crm_object, crm_id, score, manual, badge_url, run_id) VALUES
 ('person', 'M1150', 'Contact', '0035g00000Ma9XkAAJ', 20, 0, 'x', 'seed'),
 ('person', 'M1042', 'Lead', '00Q5g00000KtB0eEAF', 20, 0, 'x', 'seed'),
 ('person', 'M1168', 'Contact', '0035g00000Ma9Y4AAJ', 20, 0, 'x', 'seed'),
 ('account', 'C141', 'Account', '0015g00000Hq2DPAAZ', 20, 0, 'x', 'seed'),
 ('account', 'C154', 'Account', '0015g00000Hq2GiAAJ', 20, 0, 'x', 'seed');
