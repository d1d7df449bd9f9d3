/*
 * gen_org_names.h - name, place and company word lists for gen_org.c.
 *
 * Lists are in rough frequency order (most common first); gen_org.c gives
 * entry r the weight 1/(r + offset) of its culture, a Zipf-like curve.
 * Latin-script cultures also get a long tail of surnames built from
 * syllables (prefix + suffix), so that full-name collisions stay near real
 * rates: many John Smiths, few Ashcombe-Whitfords.
 *
 * A name is "native|latin1|latin2": the native spelling (empty for Latin
 * scripts), then one or more romanisations, the first being the usual one
 * (Алексей -> Aleksei or Alexey).  Gendered surnames (Slavic -ov/-ova,
 * Polish -ski/-ska) are stored in the male form and turned female by
 * gen_org.c.
 */
#ifndef CRMSYNC_GEN_ORG_NAMES_H
#define CRMSYNC_GEN_ORG_NAMES_H

#define N_(a) (sizeof(a) / sizeof((a)[0]))

/* ---- English (US, UK, AU) ---- */
static const char *const en_m[] = {
	"|James", "|John", "|Robert", "|Michael", "|William", "|David",
	"|Richard", "|Joseph", "|Thomas", "|Charles", "|Christopher",
	"|Daniel", "|Matthew", "|Anthony", "|Mark", "|Donald", "|Steven",
	"|Paul", "|Andrew", "|Joshua", "|Kenneth", "|Kevin", "|Brian",
	"|George", "|Timothy", "|Ronald", "|Edward", "|Jason", "|Jeffrey",
	"|Ryan", "|Jacob", "|Gary", "|Nicholas", "|Eric", "|Jonathan",
	"|Stephen", "|Larry", "|Justin", "|Scott", "|Brandon", "|Benjamin",
	"|Samuel", "|Gregory", "|Alexander", "|Frank", "|Patrick", "|Raymond",
	"|Jack", "|Dennis", "|Jerry", "|Tyler", "|Aaron", "|Henry",
	"|Peter", "|Oliver", "|Harry", "|Callum", "|Liam", "|Nathan",
	"|Zachary",
};
static const char *const en_f[] = {
	"|Mary", "|Patricia", "|Jennifer", "|Linda", "|Elizabeth",
	"|Barbara", "|Susan", "|Jessica", "|Sarah", "|Karen", "|Lisa",
	"|Nancy", "|Betty", "|Margaret", "|Sandra", "|Ashley", "|Kimberly",
	"|Emily", "|Donna", "|Michelle", "|Carol", "|Amanda", "|Melissa",
	"|Deborah", "|Stephanie", "|Rebecca", "|Sharon", "|Laura",
	"|Cynthia", "|Katherine", "|Amy", "|Angela", "|Helen", "|Anna",
	"|Brenda", "|Pamela", "|Nicole", "|Samantha", "|Christine",
	"|Rachel", "|Catherine", "|Victoria", "|Olivia", "|Emma",
	"|Charlotte", "|Sophie", "|Hannah", "|Abigail", "|Megan", "|Lauren",
	"|Zoë", "|Chloë", "|Renée", "|Siobhán", "|Fiona", "|Alexandra",
	"|Jacqueline", "|Gabrielle", "|Madeline", "|Josephine",
};
static const char *const en_last[] = {
	"|Smith", "|Johnson", "|Williams", "|Brown", "|Jones", "|Miller",
	"|Davis", "|Wilson", "|Anderson", "|Taylor", "|Thomas", "|Moore",
	"|Jackson", "|Martin", "|Lee", "|Thompson", "|White", "|Harris",
	"|Clark", "|Lewis", "|Robinson", "|Walker", "|Young", "|Allen",
	"|King", "|Wright", "|Scott", "|Hill", "|Green", "|Adams", "|Baker",
	"|Nelson", "|Carter", "|Mitchell", "|Roberts", "|Turner", "|Phillips",
	"|Campbell", "|Parker", "|Evans", "|Edwards", "|Collins", "|Stewart",
	"|Morris", "|Murphy", "|Cook", "|Rogers", "|Morgan", "|Cooper",
	"|Peterson", "|Bailey", "|Reed", "|Kelly", "|Howard", "|Cox",
	"|Ward", "|Richardson", "|Watson", "|Brooks", "|Wood", "|James",
	"|Bennett", "|Gray", "|Hughes", "|Price", "|Sanders", "|Myers",
	"|Long", "|Ross", "|Foster", "|Powell", "|Jenkins", "|Perry",
	"|Russell", "|Sullivan", "|Bell", "|Coleman", "|Butler",
	"|Henderson", "|Barnes", "|Fisher", "|Graham", "|Hamilton",
	"|Wallace", "|West", "|Cole", "|Hayes", "|O'Brien", "|O'Connor",
	"|McDonald", "|MacLeod", "|Fitzgerald", "|Warren-Hughes",
	"|Okafor", "|Nguyen", "|Kim", "|Walsh", "|Byrne", "|Ryan",
};
static const char *const en_pre[] = {
	"Ash", "Black", "Brad", "Brook", "Cald", "Cart", "Chad", "Clay",
	"Craw", "Dal", "Dun", "East", "Fair", "Fox", "Gold", "Green", "Hal",
	"Hart", "Hay", "Hol", "Kings", "Lang", "Mar", "Mid", "Mor", "New",
	"Nor", "Oak", "Pem", "Pres", "Rad", "Red", "Ring", "Ros", "Rush",
	"Salt", "Shel", "Stan", "Stock", "Stone", "Sut", "Thorn", "Wal",
	"Wel", "West", "Whit", "Wind", "Wood", "Worth", "Yar",
};
static const char *const en_suf[] = {
	"ford", "ley", "ton", "field", "wood", "worth", "well", "by", "combe",
	"den", "ham", "hurst", "land", "more", "stead", "wick", "brook",
	"bridge", "dale", "gate", "ridge", "shaw", "cliffe", "burn", "croft",
	"ington", "ridge", "thorpe", "mere", "cott", "ard", "man", "er",
	"ett", "in", "ock", "ing", "ow", "son", "sey",
};

/* ---- German ---- */
static const char *const de_m[] = {
	"|Thomas", "|Michael", "|Andreas", "|Stefan", "|Peter", "|Christian",
	"|Frank", "|Markus", "|Wolfgang", "|Klaus", "|Jürgen", "|Martin",
	"|Matthias", "|Alexander", "|Tobias", "|Lukas", "|Jörg", "|Uwe",
	"|Björn", "|Günter", "|Sebastian", "|Florian", "|Jan", "|Maximilian",
	"|Dieter", "|Helmut", "|Ralf", "|Jens", "|Kai", "|Felix",
};
static const char *const de_f[] = {
	"|Sabine", "|Petra", "|Andrea", "|Claudia", "|Susanne", "|Nicole",
	"|Stefanie", "|Katrin", "|Julia", "|Anna", "|Jana", "|Birgit",
	"|Monika", "|Ursula", "|Jutta", "|Sandra", "|Christina", "|Laura",
	"|Lena", "|Hannah", "|Lea", "|Käthe", "|Gisela", "|Sophie",
	"|Marie", "|Katharina", "|Anja", "|Silke", "|Heike", "|Bärbel",
};
static const char *const de_last[] = {
	"|Müller", "|Schmidt", "|Schneider", "|Fischer", "|Weber", "|Meyer",
	"|Wagner", "|Becker", "|Schulz", "|Hoffmann", "|Schäfer", "|Koch",
	"|Bauer", "|Richter", "|Klein", "|Wolf", "|Schröder", "|Neumann",
	"|Schwarz", "|Zimmermann", "|Braun", "|Krüger", "|Hofmann",
	"|Hartmann", "|Lange", "|Schmitt", "|Werner", "|Schmitz", "|Krause",
	"|Meier", "|Lehmann", "|Schmid", "|Schulze", "|Maier", "|Köhler",
	"|Herrmann", "|König", "|Walter", "|Mayer", "|Huber", "|Kaiser",
	"|Fuchs", "|Peters", "|Lang", "|Scholz", "|Möller", "|Weiß",
	"|Jung", "|Hahn", "|Schubert", "|Vogel", "|Friedrich", "|Günther",
	"|Keller", "|Frank", "|Berger", "|Winkler", "|Roth", "|Beck",
	"|Lorenz", "|Baumann", "|Franke", "|Albrecht", "|Schuster",
};
static const char *const de_pre[] = {
	"Alt", "Bach", "Berg", "Brand", "Busch", "Eich", "Eisen", "Feld",
	"Gold", "Grün", "Haber", "Heil", "Hirsch", "Kirch", "Lind", "Moos",
	"Ober", "Rosen", "Sand", "Schön", "Stein", "Sonnen", "Wald",
	"Weiden", "Wiesen", "Winter", "Zeller", "Kessel", "Mühl", "Stroh",
};
static const char *const de_suf[] = {
	"mann", "berger", "bauer", "hofer", "huber", "meier", "müller",
	"schmidt", "thaler", "felder", "wald", "feld", "stein", "brunner",
	"reiter", "maier", "hausen", "inger", "ert", "ler",
};

/* ---- French ---- */
static const char *const fr_m[] = {
	"|Jean", "|Pierre", "|Michel", "|Philippe", "|Alain", "|Nicolas",
	"|François", "|Julien", "|Sébastien", "|Laurent", "|Éric",
	"|Frédéric", "|Jérôme", "|Benoît", "|Thierry", "|Olivier", "|Hugo",
	"|Antoine", "|Mathieu", "|Stéphane", "|Rémi", "|Loïc", "|Gaël",
	"|Cédric", "|Louis",
};
static const char *const fr_f[] = {
	"|Marie", "|Nathalie", "|Isabelle", "|Sylvie", "|Catherine",
	"|Sophie", "|Céline", "|Hélène", "|Amélie", "|Élodie", "|Françoise",
	"|Aurélie", "|Camille", "|Léa", "|Chloé", "|Manon", "|Valérie",
	"|Mélanie", "|Inès", "|Anaïs", "|Émilie", "|Juliette", "|Margaux",
	"|Clémence", "|Noémie",
};
static const char *const fr_last[] = {
	"|Martin", "|Bernard", "|Dubois", "|Thomas", "|Robert", "|Richard",
	"|Petit", "|Durand", "|Leroy", "|Moreau", "|Simon", "|Laurent",
	"|Lefèbvre", "|Michel", "|Garcia", "|David", "|Bertrand", "|Roux",
	"|Vincent", "|Fournier", "|Morel", "|Girard", "|André", "|Lefèvre",
	"|Mercier", "|Dupont", "|Lambert", "|Bonnet", "|François",
	"|Martinez", "|Legrand", "|Garnier", "|Faure", "|Rousseau",
	"|Blanc", "|Guérin", "|Muller", "|Henry", "|Roussel", "|Nicolas",
	"|Perrin", "|Morin", "|Mathieu", "|Clément", "|Gauthier",
	"|Dumont", "|Lopez", "|Fontaine", "|Chevalier", "|Robin",
	"|Barbier", "|Châtelain", "|Bélanger", "|Lemaître", "|Benoît",
};

/* ---- Spanish (ES, MX) ---- */
static const char *const es_m[] = {
	"|José", "|Antonio", "|Manuel", "|Francisco", "|Juan", "|David",
	"|Javier", "|Daniel", "|Carlos", "|Jesús", "|Alejandro", "|Miguel",
	"|Rafael", "|Pablo", "|Sergio", "|Fernando", "|Jorge", "|Luis",
	"|Alberto", "|Álvaro", "|Adrián", "|Raúl", "|Ángel", "|Héctor",
	"|Iván", "|Rubén", "|Óscar", "|Martín", "|Andrés", "|Ramón",
};
static const char *const es_f[] = {
	"|María", "|Carmen", "|Ana", "|Isabel", "|Laura", "|Cristina",
	"|Marta", "|Lucía", "|Elena", "|Sara", "|Paula", "|Raquel",
	"|Beatriz", "|Rosa", "|Silvia", "|Patricia", "|Sofía", "|Mónica",
	"|Inés", "|Nuria", "|Begoña", "|Leticia", "|Verónica", "|Ángela",
	"|Alba", "|Pilar", "|Rocío", "|Julia", "|Irene", "|Noelia",
};
static const char *const es_last[] = {
	"|García", "|Rodríguez", "|González", "|Fernández", "|López",
	"|Martínez", "|Sánchez", "|Pérez", "|Gómez", "|Martín", "|Jiménez",
	"|Ruiz", "|Hernández", "|Díaz", "|Moreno", "|Muñoz", "|Álvarez",
	"|Romero", "|Alonso", "|Gutiérrez", "|Navarro", "|Torres",
	"|Domínguez", "|Vázquez", "|Ramos", "|Gil", "|Ramírez", "|Serrano",
	"|Blanco", "|Molina", "|Morales", "|Suárez", "|Ortega", "|Delgado",
	"|Castro", "|Ortiz", "|Rubio", "|Marín", "|Sanz", "|Núñez",
	"|Iglesias", "|Medina", "|Garrido", "|Cortés", "|Castillo",
	"|Santos", "|Lozano", "|Guerrero", "|Cano", "|Prieto",
	"|García-López", "|Peña", "|Ibáñez", "|Cruz", "|Flores",
};

/* ---- Italian ---- */
static const char *const it_m[] = {
	"|Giuseppe", "|Giovanni", "|Antonio", "|Mario", "|Luigi", "|Francesco",
	"|Angelo", "|Vincenzo", "|Pietro", "|Salvatore", "|Carlo", "|Franco",
	"|Domenico", "|Bruno", "|Paolo", "|Michele", "|Giorgio", "|Luca",
	"|Marco", "|Niccolò", "|Andrea", "|Stefano", "|Alessandro",
	"|Matteo", "|Lorenzo",
};
static const char *const it_f[] = {
	"|Maria", "|Anna", "|Giuseppina", "|Rosa", "|Angela", "|Giovanna",
	"|Teresa", "|Lucia", "|Carmela", "|Caterina", "|Francesca",
	"|Giulia", "|Chiara", "|Sara", "|Martina", "|Federica", "|Valentina",
	"|Elisa", "|Alessandra", "|Silvia", "|Paola", "|Elena", "|Simona",
	"|Roberta", "|Ilaria",
};
static const char *const it_last[] = {
	"|Rossi", "|Russo", "|Ferrari", "|Esposito", "|Bianchi", "|Romano",
	"|Colombo", "|Ricci", "|Marino", "|Greco", "|Bruno", "|Gallo",
	"|Conti", "|De Luca", "|Mancini", "|Costa", "|Giordano", "|Rizzo",
	"|Lombardi", "|Moretti", "|Barbieri", "|Fontana", "|Santoro",
	"|Mariani", "|Rinaldi", "|Caruso", "|Ferrara", "|Galli", "|Martini",
	"|Leone", "|Longo", "|Gentile", "|Martinelli", "|Vitale",
	"|Lombardo", "|Serra", "|Coppola", "|De Santis", "|D'Angelo",
	"|Marchetti", "|Parisi", "|Villa", "|Conte", "|Ferraro", "|Fabbri",
};

/* ---- Dutch ---- */
static const char *const nl_m[] = {
	"|Jan", "|Johannes", "|Pieter", "|Joost", "|Willem", "|Hendrik",
	"|Cornelis", "|Daan", "|Bram", "|Sem", "|Thijs", "|Ruben", "|Jeroen",
	"|Bas", "|Sander", "|Maarten", "|Niels", "|Koen", "|Stijn", "|Lars",
};
static const char *const nl_f[] = {
	"|Maria", "|Anna", "|Johanna", "|Sanne", "|Eva", "|Emma", "|Lotte",
	"|Fleur", "|Anouk", "|Femke", "|Ilse", "|Marieke", "|Sophie",
	"|Lieke", "|Noor", "|Iris", "|Esther", "|Inge", "|Mirjam", "|Anneke",
};
static const char *const nl_last[] = {
	"|de Jong", "|Jansen", "|de Vries", "|van den Berg", "|van Dijk",
	"|Bakker", "|Janssen", "|Visser", "|Smit", "|Meijer", "|de Boer",
	"|Mulder", "|de Groot", "|Bos", "|Vos", "|Peters", "|Hendriks",
	"|van Leeuwen", "|Dekker", "|Brouwer", "|de Wit", "|Dijkstra",
	"|Smits", "|de Graaf", "|van der Meer", "|van der Linden", "|Kok",
	"|Jacobs", "|de Haan", "|Vermeulen",
};

/* ---- Polish (surnames in -ski/-cki take -ska/-cka for women) ---- */
static const char *const pl_m[] = {
	"|Piotr", "|Krzysztof", "|Andrzej", "|Tomasz", "|Paweł", "|Michał",
	"|Marcin", "|Jakub", "|Łukasz", "|Grzegorz", "|Wojciech", "|Mariusz",
	"|Adam", "|Marek", "|Kamil", "|Mateusz", "|Dariusz", "|Rafał",
	"|Bartosz", "|Przemysław",
};
static const char *const pl_f[] = {
	"|Anna", "|Maria", "|Katarzyna", "|Małgorzata", "|Agnieszka",
	"|Barbara", "|Ewa", "|Krystyna", "|Magdalena", "|Elżbieta",
	"|Joanna", "|Zofia", "|Aleksandra", "|Monika", "|Natalia",
	"|Justyna", "|Dorota", "|Beata", "|Karolina", "|Agata",
};
static const char *const pl_last[] = {
	"|Nowak", "|Kowalski", "|Wiśniewski", "|Wójcik", "|Kowalczyk",
	"|Kamiński", "|Lewandowski", "|Zieliński", "|Szymański", "|Woźniak",
	"|Dąbrowski", "|Kozłowski", "|Jankowski", "|Mazur", "|Kwiatkowski",
	"|Krawczyk", "|Piotrowski", "|Grabowski", "|Nowakowski", "|Pawłowski",
	"|Michalski", "|Nowicki", "|Adamczyk", "|Dudek", "|Zając",
	"|Wieczorek", "|Jabłoński", "|Król", "|Majewski", "|Olszewski",
};

/* ---- Turkish ---- */
static const char *const tr_m[] = {
	"|Mehmet", "|Mustafa", "|Ahmet", "|Ali", "|Hüseyin", "|Hasan",
	"|İbrahim", "|İsmail", "|Osman", "|Yusuf", "|Murat", "|Ömer",
	"|Ramazan", "|Halil", "|Süleyman", "|Çağlar", "|Emre", "|Burak",
	"|Oğuz", "|Serkan",
};
static const char *const tr_f[] = {
	"|Fatma", "|Ayşe", "|Emine", "|Hatice", "|Zeynep", "|Elif",
	"|Meryem", "|Şerife", "|Zehra", "|Sultan", "|Hanife", "|Merve",
	"|Özge", "|İpek", "|Büşra", "|Esra", "|Gül", "|Derya", "|Ebru",
	"|Gizem",
};
static const char *const tr_last[] = {
	"|Yılmaz", "|Kaya", "|Demir", "|Şahin", "|Çelik", "|Yıldız",
	"|Yıldırım", "|Öztürk", "|Aydın", "|Özdemir", "|Arslan", "|Doğan",
	"|Kılıç", "|Aslan", "|Çetin", "|Kara", "|Koç", "|Kurt", "|Özkan",
	"|Şimşek", "|Polat", "|Korkmaz", "|Güneş", "|Erdoğan", "|Aksoy",
};

/* ---- Indian (Latin script) ---- */
static const char *const in_m[] = {
	"|Rahul", "|Amit", "|Vikram", "|Sanjay", "|Deepak", "|Arjun", "|Ravi",
	"|Suresh", "|Anil", "|Rajesh", "|Aditya", "|Rohan", "|Karthik",
	"|Manoj", "|Vijay", "|Arun", "|Nikhil", "|Sandeep", "|Prakash",
	"|Venkatesh", "|Srinivas", "|Abhishek", "|Gaurav", "|Harish",
	"|Ramesh",
};
static const char *const in_f[] = {
	"|Priya", "|Anjali", "|Pooja", "|Neha", "|Kavita", "|Sunita", "|Sneha",
	"|Divya", "|Lakshmi", "|Deepa", "|Priyanka", "|Swati", "|Shreya",
	"|Meera", "|Anita", "|Asha", "|Radha", "|Nisha", "|Aishwarya",
	"|Shalini", "|Rekha", "|Geeta", "|Revathi", "|Padma", "|Ritu",
};
static const char *const in_last[] = {
	"|Sharma", "|Patel", "|Singh", "|Kumar", "|Gupta", "|Shah", "|Reddy",
	"|Iyer", "|Nair", "|Rao", "|Mehta", "|Joshi", "|Agarwal", "|Desai",
	"|Chopra", "|Malhotra", "|Kapoor", "|Verma", "|Mishra", "|Pillai",
	"|Krishnan", "|Raghunathan", "|Subramanian", "|Chatterjee",
	"|Banerjee", "|Menon", "|Bhat", "|Jain", "|Saxena", "|Srinivasan",
	"|Venkataraman", "|Naidu", "|Kulkarni", "|Chaudhary", "|Das",
};

/* ---- Vietnamese (family name first at home) ---- */
static const char *const vi_m[] = {
	"|Minh", "|Tuấn", "|Hùng", "|Dũng", "|Anh", "|Đức", "|Quang",
	"|Long", "|Nam", "|Huy", "|Thành", "|Phúc", "|Khoa", "|Bảo", "|Trung",
};
static const char *const vi_f[] = {
	"|Hương", "|Linh", "|Trang", "|Thảo", "|Lan", "|Mai", "|Ngọc",
	"|Hà", "|Thu", "|Hạnh", "|Phương", "|Vy", "|Nhung", "|Yến", "|Hoa",
};
static const char *const vi_last[] = {
	"|Nguyễn", "|Trần", "|Lê", "|Phạm", "|Hoàng", "|Huỳnh", "|Phan",
	"|Vũ", "|Võ", "|Đặng", "|Bùi", "|Đỗ", "|Hồ", "|Ngô", "|Dương",
};

/* ---- Chinese (native | pinyin) ---- */
static const char *const zh_m[] = {
	"伟|Wei", "强|Qiang", "磊|Lei", "军|Jun", "洋|Yang", "勇|Yong",
	"杰|Jie", "涛|Tao", "明|Ming", "超|Chao", "刚|Gang", "平|Ping",
	"辉|Hui", "鹏|Peng", "华|Hua", "飞|Fei", "浩|Hao", "宇|Yu",
	"志强|Zhiqiang", "建华|Jianhua", "建国|Jianguo", "俊杰|Junjie",
	"子轩|Zixuan", "浩然|Haoran", "文博|Wenbo",
};
static const char *const zh_f[] = {
	"芳|Fang", "娜|Na", "秀英|Xiuying", "敏|Min", "静|Jing", "丽|Li",
	"艳|Yan", "娟|Juan", "霞|Xia", "秀兰|Xiulan", "桂英|Guiying",
	"玲|Ling", "婷|Ting", "雪|Xue", "慧|Hui", "颖|Ying", "琳|Lin",
	"晶|Jing", "欣怡|Xinyi", "梓涵|Zihan", "雨桐|Yutong", "佳怡|Jiayi",
	"思琪|Siqi", "梦瑶|Mengyao", "晓燕|Xiaoyan",
};
static const char *const zh_last[] = {
	"王|Wang", "李|Li", "张|Zhang", "刘|Liu", "陈|Chen", "杨|Yang",
	"黄|Huang", "赵|Zhao", "吴|Wu", "周|Zhou", "徐|Xu", "孙|Sun",
	"马|Ma", "朱|Zhu", "胡|Hu", "郭|Guo", "何|He", "高|Gao", "林|Lin",
	"罗|Luo", "郑|Zheng", "梁|Liang", "谢|Xie", "宋|Song", "唐|Tang",
	"许|Xu", "韩|Han", "冯|Feng", "邓|Deng", "曹|Cao",
};

/* Chinese given names are far more varied than surnames: 60% of them are
 * built from two of these characters (子 + 轩 -> 子轩 | Zixuan). */
static const char *const zh_given_chars[] = {
	"子|zi", "轩|xuan", "浩|hao", "然|ran", "文|wen", "博|bo", "俊|jun",
	"杰|jie", "欣|xin", "怡|yi", "梓|zi", "涵|han", "雨|yu", "桐|tong",
	"佳|jia", "思|si", "琪|qi", "梦|meng", "瑶|yao", "晓|xiao", "燕|yan",
	"志|zhi", "强|qiang", "建|jian", "华|hua", "国|guo", "明|ming", "丽|li",
	"静|jing", "敏|min", "婷|ting", "宇|yu", "鹏|peng", "辉|hui", "晨|chen",
	"阳|yang", "嘉|jia", "诗|shi", "一|yi", "天|tian", "泽|ze", "睿|rui",
	"慧|hui", "昊|hao", "铭|ming", "悦|yue", "可|ke", "欢|huan", "海|hai",
	"秀|xiu", "春|chun", "玉|yu", "红|hong", "金|jin", "永|yong", "德|de",
};

/* ---- Japanese (native | Hepburn) ---- */
static const char *const ja_m[] = {
	"翔|Sho", "大輔|Daisuke", "健太|Kenta", "拓也|Takuya", "直樹|Naoki",
	"誠|Makoto", "健一|Kenichi", "浩|Hiroshi", "達也|Tatsuya",
	"和也|Kazuya", "剛|Tsuyoshi", "修|Osamu", "大樹|Daiki",
	"悠人|Yuto", "蓮|Ren", "健二|Kenji", "隆|Takashi", "亮|Ryo",
	"聡|Satoshi", "学|Manabu",
};
static const char *const ja_f[] = {
	"陽子|Yoko", "恵子|Keiko", "裕子|Yuko", "美穂|Miho", "愛|Ai",
	"さくら|Sakura", "由美|Yumi", "直美|Naomi", "久美子|Kumiko",
	"真由美|Mayumi", "明美|Akemi", "花子|Hanako", "結衣|Yui",
	"美咲|Misaki", "陽菜|Hina", "彩|Aya", "舞|Mai", "智子|Tomoko",
	"京子|Kyoko", "優子|Yuko",
};
static const char *const ja_last[] = {
	"佐藤|Sato|Satou", "鈴木|Suzuki", "高橋|Takahashi", "田中|Tanaka",
	"伊藤|Ito|Itou", "渡辺|Watanabe", "山本|Yamamoto", "中村|Nakamura",
	"小林|Kobayashi", "加藤|Kato|Katou", "吉田|Yoshida", "山田|Yamada",
	"佐々木|Sasaki", "山口|Yamaguchi", "松本|Matsumoto", "井上|Inoue",
	"木村|Kimura", "林|Hayashi", "斎藤|Saito|Saitou", "清水|Shimizu",
	"山崎|Yamazaki", "森|Mori", "池田|Ikeda", "橋本|Hashimoto",
	"阿部|Abe", "石川|Ishikawa", "山下|Yamashita", "中島|Nakajima",
	"前田|Maeda", "藤田|Fujita",
};

/* ---- Russian / Ukrainian (native | romanisations; -ov/-ev/-in take -a
 * for women in both scripts) ---- */
static const char *const ru_m[] = {
	"Александр|Alexander|Aleksandr", "Сергей|Sergei|Sergey",
	"Дмитрий|Dmitry|Dmitrii", "Андрей|Andrei|Andrey",
	"Алексей|Aleksei|Alexey", "Максим|Maxim|Maksim",
	"Евгений|Evgeny|Yevgeny", "Иван|Ivan", "Михаил|Mikhail",
	"Владимир|Vladimir", "Николай|Nikolai|Nikolay", "Павел|Pavel",
	"Артём|Artyom|Artem", "Денис|Denis", "Игорь|Igor", "Олег|Oleg",
	"Юрий|Yuri|Yury", "Дмитро|Dmytro", "Тарас|Taras",
	"Богдан|Bohdan|Bogdan",
};
static const char *const ru_f[] = {
	"Елена|Elena|Yelena", "Ольга|Olga", "Наталья|Natalia|Natalya",
	"Татьяна|Tatiana|Tatyana", "Анна|Anna", "Мария|Maria|Mariya",
	"Ирина|Irina", "Светлана|Svetlana", "Екатерина|Ekaterina|Yekaterina",
	"Юлия|Yulia|Yuliya", "Анастасия|Anastasia|Anastasiya",
	"Дарья|Daria|Darya", "Ксения|Ksenia|Kseniya", "Марина|Marina",
	"Виктория|Victoria|Viktoriya", "Людмила|Lyudmila|Ludmila",
	"Оксана|Oksana", "Галина|Galina", "Вера|Vera", "Полина|Polina",
};
static const char *const ru_last[] = {
	"Иванов|Ivanov", "Смирнов|Smirnov", "Кузнецов|Kuznetsov",
	"Попов|Popov", "Васильев|Vasiliev|Vasilyev", "Петров|Petrov",
	"Соколов|Sokolov", "Михайлов|Mikhailov|Mikhaylov",
	"Новиков|Novikov", "Федоров|Fedorov|Fyodorov", "Морозов|Morozov",
	"Волков|Volkov", "Алексеев|Alekseev|Alexeev", "Лебедев|Lebedev",
	"Семенов|Semenov|Semyonov", "Егоров|Egorov|Yegorov",
	"Павлов|Pavlov", "Козлов|Kozlov", "Степанов|Stepanov",
	"Николаев|Nikolaev|Nikolayev", "Орлов|Orlov", "Андреев|Andreev",
	"Макаров|Makarov", "Никитин|Nikitin", "Захаров|Zakharov",
	"Зайцев|Zaitsev|Zaytsev", "Соловьёв|Solovyov|Soloviev",
	"Борисов|Borisov", "Яковлев|Yakovlev", "Григорьев|Grigoriev",
	"Коваленко|Kovalenko", "Шевченко|Shevchenko", "Бондаренко|Bondarenko",
};

/* ---- Arabic (native | romanisations) ---- */
static const char *const ar_m[] = {
	"محمد|Mohammed|Muhammad|Mohamed", "أحمد|Ahmed|Ahmad", "علي|Ali",
	"عمر|Omar|Umar", "يوسف|Youssef|Yusuf", "خالد|Khaled|Khalid",
	"حسن|Hassan|Hasan", "إبراهيم|Ibrahim", "عبدالله|Abdullah|Abdallah",
	"مصطفى|Mostafa|Mustafa", "محمود|Mahmoud", "سعيد|Said|Saeed",
	"طارق|Tarek|Tariq", "كريم|Karim|Kareem", "فيصل|Faisal",
	"سلمان|Salman", "ياسر|Yasser|Yasir", "حمزة|Hamza", "زياد|Ziad",
	"نبيل|Nabil",
};
static const char *const ar_f[] = {
	"فاطمة|Fatima|Fatma", "مريم|Maryam|Mariam", "عائشة|Aisha|Aicha",
	"نور|Nour|Noor", "سارة|Sara|Sarah", "ليلى|Layla|Leila",
	"هدى|Huda|Hoda", "زينب|Zainab|Zeinab", "رنا|Rana",
	"ياسمين|Yasmin|Yasmine", "نادية|Nadia", "سلمى|Salma", "دينا|Dina",
	"رانيا|Rania", "هالة|Hala", "منى|Mona|Muna", "ريم|Reem|Rim",
	"لينا|Lina", "أمل|Amal", "جميلة|Jamila",
};
static const char *const ar_last[] = {
	"الحسن|Al-Hassan|Alhassan", "العلي|Al-Ali", "حداد|Haddad",
	"خوري|Khoury|Khouri", "منصور|Mansour|Mansur", "صالح|Saleh|Salih",
	"عبدالرحمن|Abdelrahman|Abdulrahman", "ناصر|Nasser|Nasir",
	"الشمري|Al-Shammari", "القحطاني|Al-Qahtani", "حسين|Hussein|Hussain",
	"إبراهيم|Ibrahim", "يوسف|Youssef|Yousef", "سليمان|Suleiman|Sulaiman",
	"عثمان|Othman|Osman", "الزهراني|Al-Zahrani", "فرح|Farah",
	"جابر|Jaber|Jabir", "نجار|Najjar|Naggar", "بكر|Bakr|Bakar",
	"المصري|El-Masri|Al-Masri", "عيسى|Issa|Eissa", "الخطيب|Al-Khatib",
	"حمدان|Hamdan", "الراشد|Al-Rashed",
};

/* ---- nicknames: formal name, then nicknames ---- */
static const char *const nicknames[][2] = {
	{ "Robert", "Bob|Rob|Bobby" }, { "William", "Bill|Will|Billy" },
	{ "Richard", "Rick|Dick|Rich" }, { "James", "Jim|Jimmy|Jamie" },
	{ "John", "Jack|Johnny|Jon" }, { "Michael", "Mike|Mick|Mikey" },
	{ "Joseph", "Joe|Joey" }, { "Thomas", "Tom|Tommy" },
	{ "Christopher", "Chris|Topher" }, { "Daniel", "Dan|Danny" },
	{ "Matthew", "Matt" }, { "Anthony", "Tony" },
	{ "Steven", "Steve" }, { "Stephen", "Steve" },
	{ "Andrew", "Andy|Drew" }, { "Joshua", "Josh" },
	{ "Kenneth", "Ken|Kenny" }, { "Timothy", "Tim" },
	{ "Ronald", "Ron|Ronnie" }, { "Edward", "Ed|Eddie|Ted" },
	{ "Jeffrey", "Jeff" }, { "Nicholas", "Nick|Nicky" },
	{ "Jonathan", "Jon|Jonny" }, { "Benjamin", "Ben|Benny" },
	{ "Samuel", "Sam" }, { "Gregory", "Greg" },
	{ "Alexander", "Alex|Sasha" }, { "Patrick", "Pat|Paddy" },
	{ "Raymond", "Ray" }, { "Zachary", "Zach|Zack" },
	{ "Nathan", "Nate" }, { "Peter", "Pete" }, { "Henry", "Hank|Harry" },
	{ "Elizabeth", "Liz|Beth|Betsy|Eliza" },
	{ "Katherine", "Kate|Kathy|Katie" }, { "Catherine", "Cathy|Kate" },
	{ "Margaret", "Maggie|Peggy|Meg" }, { "Patricia", "Pat|Patty|Trish" },
	{ "Jennifer", "Jen|Jenny" }, { "Barbara", "Barb|Babs" },
	{ "Susan", "Sue|Suzy" }, { "Jessica", "Jess|Jessie" },
	{ "Kimberly", "Kim" }, { "Deborah", "Deb|Debbie" },
	{ "Stephanie", "Steph" }, { "Rebecca", "Becky|Becca" },
	{ "Cynthia", "Cindy" }, { "Pamela", "Pam" },
	{ "Christine", "Chris|Christy" }, { "Victoria", "Vicky|Tori" },
	{ "Samantha", "Sam|Sammy" }, { "Abigail", "Abby" },
	{ "Alexandra", "Alex|Sasha" }, { "Jacqueline", "Jackie" },
	{ "Josephine", "Jo|Josie" }, { "Madeline", "Maddie" },
	{ "Gabrielle", "Gabby|Gabi" }, { "Amanda", "Mandy" },
	{ "Melissa", "Mel|Missy" }, { "Sandra", "Sandy" },
	{ "Aleksandr", "Sasha" }, { "Alexander", "Alex" },
	{ "Dmitry", "Dima" }, { "Mikhail", "Misha" },
	{ "Ekaterina", "Katya" }, { "Giuseppe", "Beppe|Peppe" },
	{ "Francesco", "Franco|Cesco" }, { "Francisco", "Paco|Pancho" },
	{ "José", "Pepe" }, { "Wolfgang", "Wolf" }, { "Johannes", "Hans|Jan" },
	{ "Maximilian", "Max" }, { "Katharina", "Kathi|Katja" },
	{ "Mohammed", "Mo" }, { "Abdullah", "Abdul" },
	{ "Venkatesh", "Venky" }, { "Srinivas", "Srini" },
	{ "Priyanka", "Priya" },
};

/* ---- places: per country.  "English|local|state|state-abbrev|area" ---- */
struct gcountry {
	const char *iso;         /* ISO 3166 alpha-2 */
	const char *name_en;     /* directory spelling */
	const char *crm_names;   /* what CRM users type, '|'-separated */
	const char *cc;          /* dialling code */
	int trunk;               /* national numbers start with 0 */
	int sublen;              /* subscriber digits after the area code */
	const char *tld;         /* company domains */
	const char *const *legal; /* legal-form families, "v1|v2|v3" */
	int nlegal;
	const char *const *cities; /* "English|local|State|ST|area" */
	int ncities;
	const char *const *streets; /* street names; "%d" = house number */
	int nstreets;
	int postlen;             /* postal code digits */
};

static const char *const lg_us[] = { "Inc.|Inc|Incorporated", "LLC|L.L.C.",
	"Corp.|Corporation|Corp" };
static const char *const lg_gb[] = { "Ltd|Ltd.|Limited", "PLC|plc" };
static const char *const lg_de[] = { "GmbH", "AG", "GmbH & Co. KG" };
static const char *const lg_fr[] = { "SAS|S.A.S.", "SA|S.A.", "SARL" };
static const char *const lg_es[] = { "S.L.|SL", "S.A.|SA" };
static const char *const lg_it[] = { "S.p.A.|SpA", "S.r.l.|Srl" };
static const char *const lg_nl[] = { "B.V.|BV", "N.V.|NV" };
static const char *const lg_pl[] = { "sp. z o.o.|Sp. z o.o.", "S.A.|SA" };
static const char *const lg_in[] = { "Pvt. Ltd.|Private Limited|Pvt Ltd",
	"Ltd|Limited" };
static const char *const lg_cn[] = { "Co., Ltd.|Co. Ltd|Company Limited" };
static const char *const lg_jp[] = { "K.K.|Co., Ltd.|Kabushiki Kaisha" };
static const char *const lg_ru[] = { "LLC|OOO", "JSC|AO" };
static const char *const lg_ae[] = { "LLC|L.L.C.", "FZ-LLC|FZ LLC" };
static const char *const lg_tr[] = { "A.Ş.|AŞ|A.S." };
static const char *const lg_vn[] = { "JSC|Joint Stock Company",
	"Co., Ltd.|Co. Ltd" };
static const char *const lg_au[] = { "Pty Ltd|Pty. Ltd.|Proprietary Limited" };
static const char *const lg_mx[] = { "S.A. de C.V.|SA de CV" };

static const char *const ct_us[] = {
	"New York|New York City|New York|NY|212", "San Francisco|San Francisco|California|CA|415",
	"Los Angeles|Los Angeles|California|CA|213", "Chicago|Chicago|Illinois|IL|312",
	"Boston|Boston|Massachusetts|MA|617", "Austin|Austin|Texas|TX|512",
	"Houston|Houston|Texas|TX|713", "Seattle|Seattle|Washington|WA|206",
	"Denver|Denver|Colorado|CO|303", "Atlanta|Atlanta|Georgia|GA|404",
	"Miami|Miami|Florida|FL|305", "Phoenix|Phoenix|Arizona|AZ|602",
	"Philadelphia|Philadelphia|Pennsylvania|PA|215", "San Diego|San Diego|California|CA|619",
	"Minneapolis|Minneapolis|Minnesota|MN|612", "Portland|Portland|Oregon|OR|503",
	"Dallas|Dallas|Texas|TX|214", "Nashville|Nashville|Tennessee|TN|615",
	"Raleigh|Raleigh|North Carolina|NC|919", "Salt Lake City|Salt Lake City|Utah|UT|801",
	"Detroit|Detroit|Michigan|MI|313", "Pittsburgh|Pittsburgh|Pennsylvania|PA|412",
	"San Jose|San Jose|California|CA|408", "Washington|Washington, D.C.|District of Columbia|DC|202",
};
static const char *const ct_gb[] = {
	"London|London|England|ENG|20", "Manchester|Manchester|England|ENG|161",
	"Birmingham|Birmingham|England|ENG|121", "Edinburgh|Edinburgh|Scotland|SCT|131",
	"Bristol|Bristol|England|ENG|117", "Leeds|Leeds|England|ENG|113",
	"Glasgow|Glasgow|Scotland|SCT|141", "Cambridge|Cambridge|England|ENG|1223",
	"Reading|Reading|England|ENG|118", "Cardiff|Cardiff|Wales|WLS|29",
};
static const char *const ct_de[] = {
	"Berlin|Berlin|Berlin|BE|30", "Munich|München|Bavaria|BY|89",
	"Hamburg|Hamburg|Hamburg|HH|40", "Cologne|Köln|North Rhine-Westphalia|NW|221",
	"Frankfurt|Frankfurt am Main|Hesse|HE|69", "Stuttgart|Stuttgart|Baden-Württemberg|BW|711",
	"Düsseldorf|Düsseldorf|North Rhine-Westphalia|NW|211", "Leipzig|Leipzig|Saxony|SN|341",
	"Nuremberg|Nürnberg|Bavaria|BY|911", "Hanover|Hannover|Lower Saxony|NI|511",
};
static const char *const ct_fr[] = {
	"Paris|Paris|Île-de-France|IDF|1", "Lyon|Lyon|Auvergne-Rhône-Alpes|ARA|4",
	"Marseille|Marseille|Provence-Alpes-Côte d'Azur|PAC|4", "Toulouse|Toulouse|Occitanie|OCC|5",
	"Lille|Lille|Hauts-de-France|HDF|3", "Nantes|Nantes|Pays de la Loire|PDL|2",
	"Bordeaux|Bordeaux|Nouvelle-Aquitaine|NAQ|5", "Nice|Nice|Provence-Alpes-Côte d'Azur|PAC|4",
};
static const char *const ct_es[] = {
	"Madrid|Madrid|Madrid|MD|91", "Barcelona|Barcelona|Catalonia|CT|93",
	"Seville|Sevilla|Andalusia|AN|95", "Valencia|València|Valencian Community|VC|96",
	"Bilbao|Bilbao|Basque Country|PV|94", "Malaga|Málaga|Andalusia|AN|95",
};
static const char *const ct_it[] = {
	"Milan|Milano|Lombardy|LOM|2", "Rome|Roma|Lazio|LAZ|6",
	"Turin|Torino|Piedmont|PIE|11", "Naples|Napoli|Campania|CAM|81",
	"Florence|Firenze|Tuscany|TOS|55", "Bologna|Bologna|Emilia-Romagna|EMR|51",
};
static const char *const ct_nl[] = {
	"Amsterdam|Amsterdam|North Holland|NH|20", "Rotterdam|Rotterdam|South Holland|ZH|10",
	"Utrecht|Utrecht|Utrecht|UT|30", "The Hague|Den Haag|South Holland|ZH|70",
	"Eindhoven|Eindhoven|North Brabant|NB|40",
};
static const char *const ct_pl[] = {
	"Warsaw|Warszawa|Masovian|MZ|22", "Krakow|Kraków|Lesser Poland|MA|12",
	"Wroclaw|Wrocław|Lower Silesian|DS|71", "Gdansk|Gdańsk|Pomeranian|PM|58",
	"Poznan|Poznań|Greater Poland|WP|61",
};
static const char *const ct_in[] = {
	"Bengaluru|Bangalore|Karnataka|KA|80", "Mumbai|Bombay|Maharashtra|MH|22",
	"New Delhi|Delhi|Delhi|DL|11", "Hyderabad|Hyderabad|Telangana|TG|40",
	"Chennai|Madras|Tamil Nadu|TN|44", "Pune|Pune|Maharashtra|MH|20",
};
static const char *const ct_cn[] = {
	"Beijing|北京|Beijing|BJ|10", "Shanghai|上海|Shanghai|SH|21",
	"Shenzhen|深圳|Guangdong|GD|755", "Guangzhou|广州|Guangdong|GD|20",
	"Hangzhou|杭州|Zhejiang|ZJ|571",
};
static const char *const ct_jp[] = {
	"Tokyo|東京|Tokyo|13|3", "Osaka|大阪|Osaka|27|6", "Yokohama|横浜|Kanagawa|14|45",
	"Nagoya|名古屋|Aichi|23|52", "Fukuoka|福岡|Fukuoka|40|92",
};
static const char *const ct_ru[] = {
	"Moscow|Москва|Moscow|MOW|495", "Saint Petersburg|Санкт-Петербург|Saint Petersburg|SPE|812",
	"Novosibirsk|Новосибирск|Novosibirsk Oblast|NVS|383", "Kazan|Казань|Tatarstan|TA|843",
};
static const char *const ct_ae[] = {
	"Dubai|دبي|Dubai|DU|4", "Abu Dhabi|أبو ظبي|Abu Dhabi|AZ|2", "Sharjah|الشارقة|Sharjah|SH|6",
};
static const char *const ct_tr[] = {
	"Istanbul|İstanbul|Istanbul|34|212", "Ankara|Ankara|Ankara|06|312",
	"Izmir|İzmir|Izmir|35|232",
};
static const char *const ct_vn[] = {
	"Hanoi|Hà Nội|Hanoi|HN|24", "Ho Chi Minh City|TP. Hồ Chí Minh|Ho Chi Minh City|SG|28",
	"Da Nang|Đà Nẵng|Da Nang|DN|236",
};
static const char *const ct_au[] = {
	"Sydney|Sydney|New South Wales|NSW|2", "Melbourne|Melbourne|Victoria|VIC|3",
	"Brisbane|Brisbane|Queensland|QLD|7", "Perth|Perth|Western Australia|WA|8",
};
static const char *const ct_mx[] = {
	"Mexico City|Ciudad de México|Mexico City|CDMX|55", "Guadalajara|Guadalajara|Jalisco|JAL|33",
	"Monterrey|Monterrey|Nuevo León|NLE|81",
};

static const char *const st_en[] = { "%d Main Street", "%d Market St",
	"%d Oak Avenue", "%d Harbor Way", "%d Park Ave", "%d Mission St",
	"%d Elm Street", "%d Broadway", "%d Pine St", "%d Lake Shore Dr",
	"%d High Street", "%d King Street", "%d Station Road", "%d Church Lane",
	"%d Queen St", "%d Townsend St", "%d Commerce Blvd", "%d Cedar Rd" };
static const char *const st_de[] = { "Hauptstraße %d", "Bahnhofstraße %d",
	"Friedrichstraße %d", "Schillerstraße %d", "Goethestraße %d",
	"Am Markt %d", "Industriestraße %d", "Lindenallee %d" };
static const char *const st_fr[] = { "%d rue de la Paix", "%d avenue Victor Hugo",
	"%d boulevard Haussmann", "%d rue du Commerce", "%d place Bellecour" };
static const char *const st_es[] = { "Calle Mayor %d", "Calle de Serrano %d",
	"Avenida de la Constitución %d", "Calle Sierpes %d", "Paseo de Gracia %d" };
static const char *const st_it[] = { "Via Roma %d", "Via Garibaldi %d",
	"Corso Vittorio Emanuele %d", "Via Dante %d", "Piazza del Duomo %d" };
static const char *const st_nl[] = { "Keizersgracht %d", "Herengracht %d",
	"Stationsplein %d", "Kerkstraat %d", "Damrak %d" };
static const char *const st_pl[] = { "ul. Marszałkowska %d", "Rynek Główny %d",
	"ul. Piotrkowska %d", "ul. Długa %d" };
static const char *const st_tr[] = { "İstiklal Caddesi No:%d", "Atatürk Bulvarı No:%d",
	"Bağdat Caddesi No:%d" };
static const char *const st_xx[] = { "%d Business Park", "%d Tower Road",
	"%d Central Avenue", "%d Technology Park" };
static const char *const st_ru[] = { "ул. Тверская, %d", "Невский пр., %d",
	"ул. Ленина, %d" };
static const char *const st_jp[] = { "千代田区丸の内%d-1", "港区六本木%d-3",
	"渋谷区道玄坂%d-2" };
static const char *const st_cn[] = { "朝阳区建国路%d号", "浦东新区世纪大道%d号",
	"南山区科技园%d号" };

static const struct gcountry gcountries[] = {
#define GC_(lg, ct, st) lg, (int)N_(lg), ct, (int)N_(ct), st, (int)N_(st)
	{ "US", "United States", "USA|US|United States|U.S.", "1", 0, 7, ".com", GC_(lg_us, ct_us, st_en), 5 },
	{ "GB", "United Kingdom", "UK|United Kingdom|GB|England", "44", 1, 0, ".co.uk", GC_(lg_gb, ct_gb, st_en), 0 },
	{ "DE", "Germany", "Germany|Deutschland|DE", "49", 1, 0, ".de", GC_(lg_de, ct_de, st_de), 5 },
	{ "FR", "France", "France|FR", "33", 1, 0, ".fr", GC_(lg_fr, ct_fr, st_fr), 5 },
	{ "ES", "Spain", "Spain|España|ES", "34", 0, 0, ".es", GC_(lg_es, ct_es, st_es), 5 },
	{ "IT", "Italy", "Italy|Italia|IT", "39", 0, 0, ".it", GC_(lg_it, ct_it, st_it), 5 },
	{ "NL", "Netherlands", "Netherlands|Nederland|NL|Holland", "31", 1, 0, ".nl", GC_(lg_nl, ct_nl, st_nl), 4 },
	{ "PL", "Poland", "Poland|Polska|PL", "48", 0, 0, ".pl", GC_(lg_pl, ct_pl, st_pl), 5 },
	{ "IN", "India", "India|IN", "91", 1, 0, ".in", GC_(lg_in, ct_in, st_xx), 6 },
	{ "CN", "China", "China|中国|CN|PRC", "86", 1, 0, ".com.cn", GC_(lg_cn, ct_cn, st_cn), 6 },
	{ "JP", "Japan", "Japan|日本|JP", "81", 1, 0, ".co.jp", GC_(lg_jp, ct_jp, st_jp), 7 },
	{ "RU", "Russia", "Russia|Россия|Russian Federation|RU", "7", 1, 0, ".ru", GC_(lg_ru, ct_ru, st_ru), 6 },
	{ "AE", "United Arab Emirates", "UAE|United Arab Emirates|AE", "971", 1, 0, ".ae", GC_(lg_ae, ct_ae, st_xx), 0 },
	{ "TR", "Turkey", "Turkey|Türkiye|TR", "90", 1, 0, ".com.tr", GC_(lg_tr, ct_tr, st_tr), 5 },
	{ "VN", "Vietnam", "Vietnam|Việt Nam|VN", "84", 1, 0, ".vn", GC_(lg_vn, ct_vn, st_xx), 6 },
	{ "AU", "Australia", "Australia|AU", "61", 1, 0, ".com.au", GC_(lg_au, ct_au, st_en), 4 },
	{ "MX", "Mexico", "Mexico|México|MX", "52", 0, 0, ".com.mx", GC_(lg_mx, ct_mx, st_es), 5 },
#undef GC_
};
enum { CO_US, CO_GB, CO_DE, CO_FR, CO_ES, CO_IT, CO_NL, CO_PL, CO_IN,
	CO_CN, CO_JP, CO_RU, CO_AE, CO_TR, CO_VN, CO_AU, CO_MX };

/* ---- cultures: name lists, where people live, share of the world ---- */
struct gculture {
	const char *code;
	const char *const *m, *const *f, *const *last;
	int nm, nf, nlast;
	const char *const *pre; /* synthetic surname tail: pre + suf */
	int npre;
	const char *const *suf;
	int nsuf;
	int tail_pct;      /* share of surnames drawn from the tail */
	int zipf_last;     /* offset of the surname Zipf curve */
	int gender_last;   /* 1: -ov/-ev/-in +a, 2: -ski/-cki -> -ska/-cka */
	int family_first;  /* family name first at home (swap risk) */
	int weight;        /* share of people, per mille */
	int home[3];       /* home countries (-1 none) */
};
#define GL_(a) a, (int)N_(a)
static const struct gculture gcultures[] = {
	{ "en", en_m, en_f, en_last, (int)N_(en_m), (int)N_(en_f), (int)N_(en_last),
	  GL_(en_pre), GL_(en_suf), 70, 10, 0, 0, 440, { CO_US, CO_GB, CO_AU } },
	{ "de", de_m, de_f, de_last, (int)N_(de_m), (int)N_(de_f), (int)N_(de_last),
	  GL_(de_pre), GL_(de_suf), 50, 8, 0, 0, 80, { CO_DE, -1, -1 } },
	{ "fr", fr_m, fr_f, fr_last, (int)N_(fr_m), (int)N_(fr_f), (int)N_(fr_last),
	  NULL, 0, NULL, 0, 0, 8, 0, 0, 50, { CO_FR, -1, -1 } },
	{ "es", es_m, es_f, es_last, (int)N_(es_m), (int)N_(es_f), (int)N_(es_last),
	  NULL, 0, NULL, 0, 0, 6, 0, 0, 70, { CO_ES, CO_MX, CO_US } },
	{ "it", it_m, it_f, it_last, (int)N_(it_m), (int)N_(it_f), (int)N_(it_last),
	  NULL, 0, NULL, 0, 0, 8, 0, 0, 35, { CO_IT, -1, -1 } },
	{ "nl", nl_m, nl_f, nl_last, (int)N_(nl_m), (int)N_(nl_f), (int)N_(nl_last),
	  NULL, 0, NULL, 0, 0, 6, 0, 0, 20, { CO_NL, -1, -1 } },
	{ "pl", pl_m, pl_f, pl_last, (int)N_(pl_m), (int)N_(pl_f), (int)N_(pl_last),
	  NULL, 0, NULL, 0, 0, 6, 2, 0, 20, { CO_PL, -1, -1 } },
	{ "tr", tr_m, tr_f, tr_last, (int)N_(tr_m), (int)N_(tr_f), (int)N_(tr_last),
	  NULL, 0, NULL, 0, 0, 4, 0, 0, 15, { CO_TR, CO_DE, -1 } },
	{ "in", in_m, in_f, in_last, (int)N_(in_m), (int)N_(in_f), (int)N_(in_last),
	  NULL, 0, NULL, 0, 0, 4, 0, 0, 80, { CO_IN, CO_US, CO_GB } },
	{ "vi", vi_m, vi_f, vi_last, (int)N_(vi_m), (int)N_(vi_f), (int)N_(vi_last),
	  NULL, 0, NULL, 0, 0, 1, 0, 1, 15, { CO_VN, CO_US, -1 } },
	{ "zh", zh_m, zh_f, zh_last, (int)N_(zh_m), (int)N_(zh_f), (int)N_(zh_last),
	  NULL, 0, NULL, 0, 0, 2, 0, 1, 70, { CO_CN, CO_US, -1 } },
	{ "ja", ja_m, ja_f, ja_last, (int)N_(ja_m), (int)N_(ja_f), (int)N_(ja_last),
	  NULL, 0, NULL, 0, 0, 5, 0, 1, 35, { CO_JP, -1, -1 } },
	{ "ru", ru_m, ru_f, ru_last, (int)N_(ru_m), (int)N_(ru_f), (int)N_(ru_last),
	  NULL, 0, NULL, 0, 0, 5, 1, 0, 40, { CO_RU, CO_DE, -1 } },
	{ "ar", ar_m, ar_f, ar_last, (int)N_(ar_m), (int)N_(ar_f), (int)N_(ar_last),
	  NULL, 0, NULL, 0, 0, 5, 0, 0, 30, { CO_AE, CO_GB, -1 } },
};
#undef GL_

/* ---- companies ---- */
static const char *const co_stem[] = {
	"Brightwater", "Harborview", "Ironclad", "Pinecrest", "Silverline",
	"Northgate", "Bluefin", "Keystone", "Redwood", "Stonebridge",
	"Clearwater", "Evergreen", "Summit", "Granite", "Lakeside", "Riverbend",
	"Oakridge", "Highland", "Meridian", "Horizon", "Pinnacle", "Cobalt",
	"Crimson", "Sterling", "Falcon", "Kestrel", "Osprey", "Heron",
	"Aurora", "Nimbus", "Vertex", "Quantum", "Helios", "Solara", "Orion",
	"Polaris", "Zenith", "Atlas", "Titan", "Apex", "Beacon", "Cascade",
	"Cedar", "Cypress", "Driftwood", "Emerald", "Fjord", "Glacier",
	"Harbor", "Ivory", "Jade", "Juniper", "Lantern", "Magnolia", "Maple",
	"Mosaic", "Neptune", "Onyx", "Opal", "Pacific", "Prairie", "Quarry",
	"Raven", "Sapphire", "Sequoia", "Shoreline", "Sierra", "Skyline",
	"Spruce", "Starling", "Sunrise", "Tidewater", "Timber", "Trident",
	"Union", "Valley", "Vanguard", "Willow", "Windmill", "Yellowstone",
	"Alder", "Amber", "Arbor", "Aspen", "Bayside", "Birch", "Blackstone",
	"Boulder", "Canyon", "Coastal", "Copper", "Crescent", "Crystal",
	"Delta", "Eagle", "Ember", "Fairview", "Firefly", "Foxglove",
	"Golden", "Greenfield", "Hawthorn", "Hillcrest", "Ironwood", "Kingfisher",
	"Liberty", "Lighthouse", "Lionheart", "Marigold", "Midland", "Monarch",
	"Northstar", "Oakwood", "Orchard", "Paragon", "Peregrine", "Pioneer",
	"Prism", "Radiant", "Ridgeway", "Rosewood", "Sable", "Saffron",
	"Sentinel", "Silverton", "Southgate", "Stormfront", "Sunstone",
	"Thornbury", "Trailhead", "Tundra", "Velvet", "Waypoint", "Westbrook",
	"Whitestone", "Wildflower", "Windward", "Zephyr", "Alpenrose",
	"Müller", "Schneider", "Weber", "Dubois", "Rossi", "García", "Núñez",
	"Nowak", "Jansen", "Sakura", "Fuji", "Yamato", "Longwei", "Jinhua",
	"Volga", "Neva", "Nile", "Oasis", "Anatolia", "Bosphorus", "Mekong",
	"Ganges", "Kaveri", "Himalaya", "Andes", "Sonora", "Azteca", "Liffey",
	"Thames", "Rhein", "Elbe", "Seine", "Loire", "Tajo", "Tevere",
	"Vistula", "Danube", "Havørn", "Énergie", "Lumière", "Ølund",
};
static const char *const co_noun[] = {
	"Analytics", "Medical", "Capital", "Security", "Software", "Logistics",
	"Payments", "Health", "Energy", "Robotics", "Foods", "Seafoods",
	"Biologics", "Data", "Systems", "Consulting", "Retail", "Freight",
	"Insurance", "Labs", "Networks", "Pharma", "Solutions", "Technologies",
	"Media", "Partners", "Industries", "Manufacturing", "Maschinenbau",
	"Engineering", "Motors", "Aerospace", "Telecom", "Cloud", "Digital",
	"Ventures", "Advisors", "Realty", "Construction", "Hospitality",
	"Apparel", "Textiles", "Chemicals", "Minerals", "Mining", "Shipping",
	"Airlines", "Outfitters", "Brewing", "Vineyards", "Dairy", "Bakery",
	"Clinics", "Dental", "Diagnostics", "Genomics", "Devices", "Instruments",
	"Semiconductors", "Electronics", "Automation", "Controls", "Power",
	"Solar", "Water", "Utilities", "Infrastructure", "Materials", "Plastics",
	"Packaging", "Printing", "Publishing", "Education", "Learning",
	"Staffing", "Recruiting", "Legal", "Accounting", "Bank", "Credit",
	"Investments", "Asset Management", "Wealth", "Trust", "Holdings",
	"Group", "Trading", "Imports", "Exports", "Distribution", "Supply",
	"Storage", "Transport", "Rail", "Marine", "Aviation", "Studios",
	"Games", "Interactive", "Design", "Architecture", "Cosmétiques",
	"Versicherungen", "Datenwerk", "Seiko", "Precision", "Biotech",
};
static const char *const co_qual[] = {
	"", "Group", "International", "Global", "Holdings", "Partners",
	"Europe", "America", "Pacific", "Nordic", "Atlantic", "Labs",
	"Worldwide", "Services", "Systems", "Solutions", "North", "South",
	"East", "West", "Central", "Alpine", "Coastal", "Metro", "United",
	"Premier", "First", "Advanced", "Integrated", "Applied", "Direct",
	"Digital", "Consolidated", "Associated", "National", "Continental",
	"Royal", "Capital", "Summit", "Prime", "Modern", "Classic", "Allied",
	"Strategic", "Dynamic", "Smart", "Green", "Blue", "Red", "Next",
};

/* industries: "Salesforce picklist|directory (LinkedIn-style) label" */
static const char *const gindustries[] = {
	"Technology|Software Development", "Technology|IT Services and IT Consulting",
	"Healthcare|Hospitals and Health Care", "Finance|Financial Services",
	"Banking|Banking", "Insurance|Insurance", "Manufacturing|Machinery Manufacturing",
	"Electronics|Appliances, Electrical, and Electronics Manufacturing",
	"Retail|Retail", "Transportation|Transportation, Logistics, Supply Chain and Storage",
	"Energy|Oil, Gas, and Mining", "Utilities|Utilities", "Education|Education",
	"Media|Media and Telecommunications", "Telecommunications|Telecommunications",
	"Consulting|Business Consulting and Services", "Food & Beverage|Food and Beverage Manufacturing",
	"Biotechnology|Biotechnology Research", "Construction|Construction",
	"Hospitality|Hospitality", "Legal|Law Practice", "Chemicals|Chemical Manufacturing",
	"Apparel|Retail Apparel and Fashion", "Engineering|Engineering Services",
	"Not For Profit|Non-profit Organizations", "Entertainment|Entertainment Providers",
	"Shipping|Maritime Transportation", "Agriculture|Farming",
};

static const char *const gtitles[] = {
	"Software Engineer", "Senior Software Engineer", "Engineering Manager",
	"VP of Engineering", "CTO", "Chief Technology Officer", "CEO",
	"Chief Executive Officer", "CFO", "Chief Financial Officer", "COO",
	"Founder", "Co-Founder", "Head of Data", "Data Scientist",
	"Data Engineer", "Product Manager", "Senior Product Manager",
	"Director of Product", "Head of Procurement", "Procurement Manager",
	"Purchasing Manager", "Account Executive", "Sales Manager",
	"VP Sales", "Head of Sales", "Business Development Manager",
	"Marketing Manager", "Head of Marketing", "CMO", "HR Business Partner",
	"HR Manager", "Head of People", "Recruiter", "Operations Manager",
	"Director of Operations", "Financial Analyst", "Controller",
	"General Counsel", "Legal Counsel", "IT Manager", "IT Director",
	"Systems Administrator", "Security Engineer", "CISO",
	"Project Manager", "Program Manager", "Consultant",
	"Senior Consultant", "Partner", "Managing Director", "Analyst",
	"Research Scientist", "Lab Manager", "Nurse Manager", "Physician",
	"Office Manager", "Executive Assistant", "Customer Success Manager",
	"Support Engineer", "Designer", "UX Designer", "Architect",
};
static const char *const gdepartments[] = {
	"Engineering", "Sales", "Marketing", "Finance", "Human Resources",
	"Operations", "Legal", "IT", "Procurement", "Executive", "Research",
	"Customer Success", "Product",
};
static const char *const gfreemail[] = {
	"gmail.com", "gmail.com", "gmail.com", "gmail.com", "outlook.com",
	"hotmail.com", "yahoo.com", "icloud.com", "proton.me", "gmx.de",
	"web.de", "orange.fr", "libero.it", "qq.com", "163.com", "yandex.ru",
	"mail.ru", "yahoo.co.jp", "rediffmail.com", "aol.com",
};

#endif
