import json,glob,os,re,datetime
C=os.environ['AFTERMATH_CORPUS']  # the real data, never copied into the repository
rows={}
for p in sorted(glob.glob(C+'/statuspage-github-incident-history/incidents/*.json')):
    if p.endswith('incident_codes.json'): continue
    d=json.load(open(p)); i=d['incident']
    ups=i.get('incident_updates',[])
    times=[i.get('started_at'),i.get('created_at')]+[u.get('created_at') for u in ups]
    t=min(x for x in times if x)
    comps=[c['name'] for c in i.get('components',[]) or []]
    text=' | '.join(u.get('body','') for u in reversed(ups))
    rows[('github',i['id'])]=dict(service='github',title=i['name'].strip(),day=t[:10],comps=comps,text=text)
aws={}
for p in sorted(glob.glob(C+'/aws-status-datajson-history/*.json')):
    d=json.load(open(p))
    for e in d.get('archive',[])+d.get('current',[]):
        key=(e['service'],str(e['date']).strip())
        aws[key]=e
for (s,dt),e in aws.items():
    summ=(e.get('summary') or '').strip()
    if summ[:10].lower()=='[resolved]': summ=summ[10:].strip()
    day=datetime.datetime.utcfromtimestamp(int(float(dt))).strftime('%Y-%m-%d')
    m=re.search(r'-([a-z]{2}-[a-z]+-\d)$',s)
    svc='aws-'+m.group(1) if m else 'aws'
    desc=re.sub('<[^>]+>',' ',e.get('description') or '')
    rows[('aws',s+'_'+dt)]=dict(service=svc,title=summ,day=day,comps=[e.get('service_name','')],text=desc)
for i in json.load(open(C+'/gcp-status-incidents/incidents.json')):
    comps=[x['title'] for x in i.get('affected_products',[])] or [i.get('service_name','')]
    text=' | '.join(u.get('text','') for u in i.get('updates',[]))
    rows[('gcp',i['id'])]=dict(service='gcp',title=(i.get('external_desc') or '').strip(),day=i['begin'][:10],comps=comps,text=text)
json.dump([dict(src=k[0],ext=k[1],**v) for k,v in rows.items()],open('corpus.json','w'))
print(len(rows))
