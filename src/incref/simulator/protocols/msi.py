"""MSI: Modified, Shared, Invalid — the baseline protocol of the Primer (Sorin, Hill, Wood,
*A Primer on Memory Consistency and Cache Coherence*, 2nd ed., 2020).

`BUS`: section 7.2.2, "Simple Snooping System Model: Atomic Requests, Atomic Transactions"
(the cache- and memory-controller tables of that section). We use the atomic-bus
abstraction: a request, every snooper's reaction and the data response happen in one step,
so the transient states IS_D, IM_D and SM_D exist only inside that step; the memory
controller has the section's two states (IorS: memory owns the data, M: a cache does).
Shared blocks are evicted silently. `NoData` is the requestor's event when no one supplied
data (impossible in MSI).

`DIRECTORY`: section 8.2.4, Tables 8.1 (cache controller) and 8.2 (directory
controller), with the message exchange: GetS/GetM/PutS/PutM requests, Fwd-GetS/Fwd-GetM/
Inv/Put-Ack on the forwarded network, Data (with an ack count) and Inv-Ack responses.
`Data` is data whose ack count is already covered by the acks received, `DataAcks` data that
still waits for acks, `LastInvAck` the ack that completes the count (the Primer's
"Data from Dir (ack=0)/(ack>0)", "Data from Owner" and "Last-Inv-Ack").
"""

BUS = """
table cache
states  I:- S:r M:rwo IS_D:- IM_D:- SM_D:r
events  Load Store Replacement OtherGetS OtherGetM OtherPutM Data DataExcl NoData
state | Load      | Store      | Replacement | OtherGetS           | OtherGetM  | OtherPutM | Data | DataExcl | NoData
I     | GetS/IS_D | GetM/IM_D  | -           | /I                  | /I         | /I        | -    | -        | -
S     | hit       | GetM/SM_D  | /I          | /S                  | /I         | -         | -    | -        | -
M     | hit       | hit        | PutM/I      | data>req,data>dir/S | data>req/I | -         | -    | -        | -
IS_D  | -         | -          | -           | -                   | -          | -         | /S   | -        | -
IM_D  | -         | -          | -           | -                   | -          | -         | /M   | -        | -
SM_D  | -         | -          | -           | -                   | -          | -         | /M   | -        | -

table home
states  IorS: M:
events  GetS GetM PutM
state | GetS          | GetM         | PutM
IorS  | data>req      | data>req/M   | -
M     | /IorS         | /M           | mem<data/IorS
"""

DIRECTORY = """
table cache
states  I:- IS_D:- IM_AD:- IM_A:- S:r SM_AD:r SM_A:r M:rwo MI_A:o SI_A:- II_A:-
events  Load Store Replacement FwdGetS FwdGetM Inv PutAck Data DataAcks DataExcl InvAck LastInvAck
state | Load      | Store      | Replacement | FwdGetS                | FwdGetM       | Inv               | PutAck | Data | DataAcks | DataExcl | InvAck | LastInvAck
I     | GetS/IS_D | GetM/IM_AD | -           | -                      | -             | -                 | -      | -    | -        | -        | -      | -
IS_D  | stall     | stall      | stall       | -                      | -             | stall             | -      | /S   | -        | -        | -      | -
IM_AD | stall     | stall      | stall       | stall                  | stall         | -                 | -      | /M   | /IM_A    | -        | /IM_AD | -
IM_A  | stall     | stall      | stall       | stall                  | stall         | -                 | -      | -    | -        | -        | /IM_A  | /M
S     | hit       | GetM/SM_AD | PutS/SI_A   | -                      | -             | invack>req/I      | -      | -    | -        | -        | -      | -
SM_AD | hit       | stall      | stall       | stall                  | stall         | invack>req/IM_AD  | -      | /M   | /SM_A    | -        | /SM_AD | -
SM_A  | hit       | stall      | stall       | stall                  | stall         | -                 | -      | -    | -        | -        | /SM_A  | /M
M     | hit       | hit        | PutM/MI_A   | data>req,data>dir/S    | data>req/I    | -                 | -      | -    | -        | -        | -      | -
MI_A  | stall     | stall      | stall       | data>req,data>dir/SI_A | data>req/II_A | -                 | /I     | -    | -        | -        | -      | -
SI_A  | stall     | stall      | stall       | -                      | -             | invack>req/II_A   | /I     | -    | -        | -        | -      | -
II_A  | stall     | stall      | stall       | -                      | -             | -                 | /I     | -    | -        | -        | -      | -

table home
states  I: S: M: S_D:
events  GetS GetM GetMOwner PutS PutSLast PutM PutMNonOwner Data
state | GetS                            | GetM                                       | GetMOwner | PutS             | PutSLast           | PutM                             | PutMNonOwner     | Data
I     | data>req,+req/S                 | data>req,owner=req/M                       | -         | putack>req       | putack>req         | -                                | putack>req       | -
S     | data>req,+req                   | data+acks>req,inv>sharers,clr,owner=req/M  | -         | -req,putack>req  | -req,putack>req/I  | -                                | -req,putack>req  | -
M     | fwd>owner,+req,+owner,owner=-/S_D | fwd>owner,owner=req                      | -         | putack>req       | putack>req         | mem<data,owner=-,putack>req/I    | putack>req       | -
S_D   | stall                           | stall                                      | -         | -req,putack>req  | -req,putack>req    | -                                | -req,putack>req  | mem<data/S
"""
