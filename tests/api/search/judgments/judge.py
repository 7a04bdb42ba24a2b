import json,re,sys
rows=json.load(open('corpus.json'))
def T(p): r=re.compile(p,re.I); return lambda x: bool(r.search(x['title']))
def C(p): r=re.compile(p,re.I); return lambda x: bool(r.search(' '.join(x['comps'])))
def X(p): r=re.compile(p,re.I); return lambda x: bool(r.search(x['text']))
def A(p): r=re.compile(p,re.I); return lambda x: bool(r.search(x['title']+' '+' '.join(x['comps'])+' '+x['text']))
def S(p): r=re.compile(p); return lambda x: bool(r.fullmatch(x['service']))
def D(a,b): return lambda x: a<=x['day']<=b
def AND(*fs): return lambda x: all(f(x) for f in fs)
def OR(*fs): return lambda x: any(f(x) for f in fs)
def NOT(f): return lambda x: not f(x)
Q=[]
def q(text,kind,lang,rules,now=None):
    Q.append(dict(q=text,kind=kind,lang=lang,rules=rules,now=now))
GH=S('github'); GCP=S('gcp'); AWS=S('aws.*'); FR=S('panier-express'); CAS=S('nimbus-us-east|snapgram|robotrade')
USE1=S('aws-us-east-1')
exec(open('queries.py').read())
def judge(e):
    out=[]
    for r in rows:
        for g,cond,why in e['rules']:
            if cond(r):
                if g>0: out.append(dict(service=r['service'],title=r['title'],day=r['day'],grade=g,reason=why))
                break
    out.sort(key=lambda j:(-j['grade'],j['day']),reverse=False)
    keep=[j for j in out if j['grade']>=2][:150]+[j for j in out if j['grade']==1][:20]
    return keep
tune=[];held=[]
for n,e in enumerate(Q):
    j=judge(e)
    item=dict(q=e['q'],kind=e['kind'],lang=e['lang'])
    if e['now']: item['now']=e['now']
    item['judged']=j
    (held if n%4==3 else tune).append(item)
    c=[sum(1 for x in j if x['grade']==g) for g in (3,2,1)]
    print(f"{n:3} {e['kind']:12} {e['q'][:45]:45} 3:{c[0]:3} 2:{c[1]:3} 1:{c[2]:3}")
def write(items,path):
    with open(path,'w') as f:
        f.write('[\n')
        for n,it in enumerate(items):
            head={k:v for k,v in it.items() if k!='judged'}
            f.write(' {'+json.dumps(head,ensure_ascii=False)[1:-1]+', "judged": [\n')
            f.write(',\n'.join('  '+json.dumps(j,ensure_ascii=False) for j in it['judged']))
            f.write('\n ]}'+(',' if n<len(items)-1 else '')+'\n')
        f.write(']\n')
write(tune,'tuning.json'); write(held,'held_out.json')
print(len(tune),len(held))
